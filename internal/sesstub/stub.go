// Package sesstub is a second SES v2 endpoint for the pacing tests and
// benchmarks, written apart from package sestest so that the two models of
// SES's limits check each other. It answers SendEmail, SendBulkEmail and
// GetAccount in process (an http.Handler, and an SDK client whose transport
// calls it directly, so that it runs inside a testing/synctest bubble) and
// nothing else.
//
// The model is AWS's description of the sending quotas, not sestest's
// token bucket:
//
//   - "Maximum send rate: the maximum number of emails that Amazon SES can
//     accept from your account each second. You can exceed this quota for
//     short bursts, but not for a sustained period of time." Every
//     recipient of a message counts. The stub reads this as an envelope: in
//     every window of w seconds that ends now, the account may have had at
//     most rate×w + rate recipients accepted — the rate, plus a burst of one
//     second's worth. A request that would break it for any window is
//     refused whole.
//   - A message may have 50 recipients whatever the rate; one with more
//     recipients than a second's worth is checked for a second's worth, and
//     its whole count is recorded, so the account is then in debt.
//   - A refused request is answered as SES answers it: HTTP 429 with
//     X-Amzn-ErrorType TooManyRequestsException and the message "Maximum
//     sending rate exceeded." (or "Daily message quota exceeded." for the
//     24-hour quota).
//   - GetAccount reports SendQuota {MaxSendRate, Max24HourSend,
//     SentLast24Hours}, or AccessDeniedException (HTTP 403) when told to
//     deny it, as for a caller without ses:GetAccount.
package sesstub

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// Stub is the endpoint. It is safe for concurrent use.
type Stub struct {
	now func() time.Time

	mu        sync.Mutex
	rate      float64
	daily     float64 // -1: unlimited
	deny      bool
	log       []entry // recipients accepted, oldest first, for the envelope
	accepted  []entry // every acceptance of the Client under test, for Accepted
	throttles int
	ids       int
}

type entry struct {
	at    time.Time
	n     int
	other bool // taken by another sender (Take)
}

// New returns a Stub whose account sends rate recipients a second with no
// 24-hour limit, on the clock now (nil: time.Now, which inside a synctest
// bubble is the bubble's clock).
func New(rate float64, now func() time.Time) *Stub {
	if now == nil {
		now = time.Now
	}
	return &Stub{now: now, rate: rate, daily: -1}
}

// SetDaily sets Max24HourSend; -1 is unlimited.
func (s *Stub) SetDaily(n float64) {
	s.mu.Lock()
	s.daily = n
	s.mu.Unlock()
}

// DenyGetAccount makes GetAccount answer AccessDeniedException.
func (s *Stub) DenyGetAccount(deny bool) {
	s.mu.Lock()
	s.deny = deny
	s.mu.Unlock()
}

// Take has another sender on the account send n recipients now, whatever
// the limits, as a process that does not share the Client's limiter would.
func (s *Stub) Take(n int) {
	s.mu.Lock()
	s.log = append(s.log, entry{at: s.now(), n: n, other: true})
	s.mu.Unlock()
}

// Throttles returns how many requests were refused for the rate.
func (s *Stub) Throttles() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttles
}

// Accepted returns the recipients accepted from the Client under test (not
// Take's) at times in [from, to).
func (s *Stub) Accepted(from, to time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.accepted {
		if !e.at.Before(from) && e.at.Before(to) {
			n += e.n
		}
	}
	return n
}

// Acceptances returns the times and sizes of every acceptance from the
// Client under test, oldest first.
func (s *Stub) Acceptances() (at []time.Time, n []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.accepted {
		at, n = append(at, e.at), append(n, e.n)
	}
	return at, n
}

// retain is how long entries count for the envelope: windows longer than
// this hold for any client that is not in debt by more than a few seconds.
func (s *Stub) retain() time.Duration {
	return 10*time.Second + time.Duration(50/s.rate*float64(time.Second))
}

// admit applies the envelope to n recipients at now. s.mu must be held.
func (s *Stub) admit(n int, now time.Time) bool {
	cut := now.Add(-s.retain())
	drop := 0
	for drop < len(s.log) && s.log[drop].at.Before(cut) {
		drop++
	}
	s.log = s.log[drop:]
	need := min(float64(n), s.rate)
	sum := 0.0
	for i := len(s.log) - 1; i >= 0; i-- {
		e := s.log[i]
		sum += float64(e.n)
		// The window from e to now holds sum recipients already.
		if sum+need > s.rate*now.Sub(e.at).Seconds()+s.rate+1e-9 {
			return false
		}
	}
	return true
}

// sentLast24Hours counts what the account sent in the last day. s.mu must
// be held.
func (s *Stub) sentLast24Hours(now time.Time) int {
	n := 0
	for _, e := range s.accepted {
		if now.Sub(e.at) < 24*time.Hour {
			n += e.n
		}
	}
	return n
}

// ServeHTTP answers SendEmail, SendBulkEmail and GetAccount.
func (s *Stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids++
	w.Header().Set("x-amzn-RequestId", fmt.Sprintf("00000000-0000-4000-8000-%012d", s.ids))
	now := s.now()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v2/email/account":
		if s.deny {
			fail(w, http.StatusForbidden, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/app is not authorized to perform: ses:GetAccount")
			return
		}
		reply(w, map[string]any{
			"ProductionAccessEnabled": true, "SendingEnabled": true, "EnforcementStatus": "HEALTHY",
			"SendQuota": map[string]float64{"MaxSendRate": s.rate, "Max24HourSend": s.daily, "SentLast24Hours": float64(s.sentLast24Hours(now))},
		})
	case r.Method == http.MethodPost && r.URL.Path == "/v2/email/outbound-emails":
		var in struct{ Destination destination }
		if !decode(w, r, &in) {
			return
		}
		if s.send(w, in.Destination.count(), now) {
			reply(w, map[string]string{"MessageId": s.messageID()})
		}
	case r.Method == http.MethodPost && r.URL.Path == "/v2/email/outbound-bulk-emails":
		var in struct {
			BulkEmailEntries []struct{ Destination destination }
		}
		if !decode(w, r, &in) {
			return
		}
		n := 0
		for _, e := range in.BulkEmailEntries {
			n += e.Destination.count()
		}
		if !s.send(w, n, now) {
			return
		}
		results := make([]map[string]string, len(in.BulkEmailEntries))
		for i := range results {
			results[i] = map[string]string{"Status": "SUCCESS", "MessageId": s.messageID()}
		}
		reply(w, map[string]any{"BulkEmailEntryResults": results})
	default:
		fail(w, http.StatusNotFound, "UnknownOperationException", "sesstub answers SendEmail, SendBulkEmail and GetAccount only")
	}
}

// send admits n recipients at now, or answers SES's refusal. s.mu must be
// held.
func (s *Stub) send(w http.ResponseWriter, n int, now time.Time) bool {
	if n < 1 || n > 50 {
		fail(w, http.StatusBadRequest, "BadRequestException", "a message has 1 to 50 recipients")
		return false
	}
	if s.daily >= 0 && float64(s.sentLast24Hours(now)+n) > s.daily {
		fail(w, http.StatusTooManyRequests, "TooManyRequestsException", "Daily message quota exceeded.")
		return false
	}
	if !s.admit(n, now) {
		s.throttles++
		fail(w, http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded.")
		return false
	}
	s.log = append(s.log, entry{at: now, n: n})
	s.accepted = append(s.accepted, entry{at: now, n: n})
	return true
}

func (s *Stub) messageID() string {
	s.ids++
	return fmt.Sprintf("0100000000000000-%08d-0000-0000-0000-000000000000-000000", s.ids)
}

type destination struct {
	ToAddresses, CcAddresses, BccAddresses []string
}

func (d destination) count() int {
	return len(d.ToAddresses) + len(d.CcAddresses) + len(d.BccAddresses)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		fail(w, http.StatusBadRequest, "BadRequestException", "malformed request: "+err.Error())
		return false
	}
	return true
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// fail answers an error as SES does: the code in X-Amzn-ErrorType, the
// message in the body.
func fail(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// Client returns an SDK client that sends its requests to h in the
// calling goroutine, without a socket, with the SDK's retries off.
func Client(h http.Handler) *sesv2.Client {
	return sesv2.New(sesv2.Options{
		BaseEndpoint:     aws.String("http://ses.in-process.invalid"),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIASESSTUB000000000", "sesstub-secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       inProcess{h},
	})
}

// inProcess is an SDK HTTP client that calls a handler directly.
type inProcess struct{ h http.Handler }

func (c inProcess) Do(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	if in.Body == nil {
		in.Body = http.NoBody // a server's request always has a body
	}
	in.RequestURI = r.URL.RequestURI()
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, in)
	resp := w.Result()
	resp.Request = r
	return resp, nil
}
