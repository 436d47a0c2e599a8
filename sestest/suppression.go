package sestest

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The account-level suppression list: Put, Get, List and
// DeleteSuppressedDestination. Mail to a listed address is accepted, counts
// toward the daily quota, and bounces Permanent/OnAccountSuppressionList.

const (
	reasonBounce    = "BOUNCE"
	reasonComplaint = "COMPLAINT"
)

type suppressedDestination struct {
	address string
	reason  string
	updated time.Time
}

// epochSeconds is a timestamp as restJson1 sends it in a body: seconds since
// the epoch as a JSON number.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

type putSuppressedDestinationRequest struct {
	EmailAddress *string `json:"EmailAddress"`
	Reason       *string `json:"Reason"`
}

func checkReason(r string) *apiError {
	if r != reasonBounce && r != reasonComplaint {
		return badRequest("invalid Reason %q: want BOUNCE or COMPLAINT", truncate(r, 32))
	}
	return nil
}

func (s *Server) putSuppressedDestination(w http.ResponseWriter, _ *http.Request, body []byte) *apiError {
	var req putSuppressedDestinationRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	addr, err := requireString(req.EmailAddress, "EmailAddress")
	if err != nil {
		return err
	}
	reason, err := requireString(req.Reason, "Reason")
	if err != nil {
		return err
	}
	if err := checkReason(reason); err != nil {
		return err
	}
	bare, perr := parseAddress(addr)
	if perr != nil || bare != addr {
		return badRequest("EmailAddress: invalid email address %q", truncate(addr, 64))
	}
	s.mu.Lock()
	s.suppressed[canonicalKey(addr)] = &suppressedDestination{address: addr, reason: reason, updated: s.now()}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

type suppressedSummary struct {
	EmailAddress   string       `json:"EmailAddress"`
	Reason         string       `json:"Reason"`
	LastUpdateTime epochSeconds `json:"LastUpdateTime"`
}

func (s *Server) getSuppressedDestination(w http.ResponseWriter, addr string) *apiError {
	s.mu.Lock()
	d, ok := s.suppressed[canonicalKey(addr)]
	var out suppressedSummary
	if ok {
		out = suppressedSummary{EmailAddress: d.address, Reason: d.reason, LastUpdateTime: epochSeconds(d.updated)}
	}
	s.mu.Unlock()
	if !ok {
		return notFound("Email address %s does not exist on your suppression list.", addr)
	}
	return writeJSON(w, struct{ SuppressedDestination suppressedSummary }{out})
}

func (s *Server) deleteSuppressedDestination(w http.ResponseWriter, addr string) *apiError {
	s.mu.Lock()
	key := canonicalKey(addr)
	_, ok := s.suppressed[key]
	delete(s.suppressed, key)
	s.mu.Unlock()
	if !ok {
		return notFound("Email address %s does not exist on your suppression list.", addr)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// listPageSize bounds ListSuppressedDestinations pages, as SES does.
const listPageSize = 1000

// listSuppressedDestinations pages through the list in address order; the
// NextToken names the last address of the page.
func (s *Server) listSuppressedDestinations(w http.ResponseWriter, r *http.Request, _ []byte) *apiError {
	q := r.URL.Query()
	reasons := q["Reason"]
	for _, reason := range reasons {
		if err := checkReason(reason); err != nil {
			return err
		}
	}
	var start, end time.Time
	for name, t := range map[string]*time.Time{"StartDate": &start, "EndDate": &end} {
		if v := q.Get(name); v != "" {
			parsed, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return badRequest("invalid %s %q: want an ISO 8601 date-time", name, truncate(v, 40))
			}
			*t = parsed
		}
	}
	size := listPageSize
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > listPageSize {
			return badRequest("invalid PageSize %q: want 1 to %d", truncate(v, 20), listPageSize)
		}
		size = n
	}
	after := ""
	if v := q.Get("NextToken"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return &apiError{status: http.StatusBadRequest, code: "InvalidNextTokenException", message: "The specified NextToken is not valid."}
		}
		after = string(b)
	}

	s.mu.Lock()
	var page []suppressedSummary
	keys := make([]string, 0, len(s.suppressed))
	for k := range s.suppressed {
		if k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	next := ""
	for _, k := range keys {
		d := s.suppressed[k]
		if len(reasons) > 0 && !slices.Contains(reasons, d.reason) ||
			!start.IsZero() && d.updated.Before(start) || !end.IsZero() && d.updated.After(end) {
			continue
		}
		if len(page) == size {
			next = base64.RawURLEncoding.EncodeToString([]byte(strings.ToLower(page[len(page)-1].EmailAddress)))
			break
		}
		page = append(page, suppressedSummary{EmailAddress: d.address, Reason: d.reason, LastUpdateTime: epochSeconds(d.updated)})
	}
	s.mu.Unlock()
	if page == nil {
		page = []suppressedSummary{}
	}
	return writeJSON(w, struct {
		SuppressedDestinationSummaries []suppressedSummary `json:"SuppressedDestinationSummaries"`
		NextToken                      string              `json:"NextToken,omitempty"`
	}{page, next})
}
