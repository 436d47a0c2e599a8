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
	address    string
	reason     string
	updated    time.Time
	messageID  string // the message whose bounce or complaint listed it; "" when put by the API
	feedbackID string
}

// listLocked puts addr on the account-level suppression list because of
// the bounce or complaint feedbackID about message messageID, as SES does
// when the account suppresses reason. Mailbox simulator addresses are never
// listed. It must be called with s.mu held.
func (s *Server) listLocked(addr, reason, messageID, feedbackID string, now time.Time) {
	if isSimulator(addr) || !slices.Contains(s.account.suppressedReasons(), reason) {
		return
	}
	s.suppressed[canonicalKey(addr)] = &suppressedDestination{address: addr, reason: reason, updated: now,
		messageID: messageID, feedbackID: feedbackID}
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

// suppressedDetail is GetSuppressedDestination's SuppressedDestination:
// the summary and, for an entry SES made, the ids of the message and of
// the bounce or complaint that caused it.
type suppressedDetail struct {
	suppressedSummary
	Attributes *suppressedAttributes `json:"Attributes,omitempty"`
}

type suppressedAttributes struct {
	MessageID  string `json:"MessageId,omitempty"`
	FeedbackID string `json:"FeedbackId,omitempty"`
}

func (s *Server) getSuppressedDestination(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	addr := params[0]
	s.mu.Lock()
	d, ok := s.suppressed[canonicalKey(addr)]
	var out suppressedDetail
	if ok {
		out.suppressedSummary = suppressedSummary{EmailAddress: d.address, Reason: d.reason, LastUpdateTime: epochSeconds(d.updated)}
		if d.messageID != "" {
			out.Attributes = &suppressedAttributes{MessageID: d.messageID, FeedbackID: d.feedbackID}
		}
	}
	s.mu.Unlock()
	if !ok {
		return notFound("Email address %s does not exist on your suppression list.", addr)
	}
	return writeJSON(w, struct{ SuppressedDestination suppressedDetail }{out})
}

func (s *Server) deleteSuppressedDestination(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	addr := params[0]
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
		var err *apiError
		if after, err = decodeToken(v); err != nil {
			return err
		}
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
			next = encodeToken(strings.ToLower(page[len(page)-1].EmailAddress))
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

// encodeToken makes the NextToken of a page that ends at key.
func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// decodeToken returns the key a NextToken names.
func decodeToken(token string) (string, *apiError) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return "", &apiError{status: http.StatusBadRequest, code: "InvalidNextTokenException", message: "The specified NextToken is not valid."}
	}
	return string(b), nil
}
