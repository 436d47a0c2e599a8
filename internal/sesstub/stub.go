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
//     sending rate exceeded.".
//   - GetAccount reports SendQuota {MaxSendRate, Max24HourSend (-1,
//     unlimited), SentLast24Hours}.
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
	env       envelope
	accepted  []entry // every acceptance, oldest first
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
	return &Stub{now: now, rate: rate, env: envelope{rate: rate, start: now()}}
}

// Take has another sender on the account send n recipients now, whatever
// the limits, as a process that does not share the Client's limiter would.
func (s *Stub) Take(n int) {
	s.mu.Lock()
	now := s.now()
	s.env.add(now, n)
	s.accepted = append(s.accepted, entry{at: now, n: n, other: true})
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
		if !e.other && !e.at.Before(from) && e.at.Before(to) {
			n += e.n
		}
	}
	return n
}

// Recovered returns the first acceptance from the Client under test, more
// than a second after from, at which the Client's recipients of the second
// before reach share of the rate, and whether there is one.
func (s *Stub) Recovered(from time.Time, share float64) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var recent []entry // the Client's acceptances of the last second, oldest first
	sum := 0
	for _, e := range s.accepted {
		if e.other {
			continue
		}
		recent = append(recent, e)
		sum += e.n
		for recent[0].at.Before(e.at.Add(-time.Second)) {
			sum -= recent[0].n
			recent = recent[1:]
		}
		if e.at.After(from.Add(time.Second)) && float64(sum) >= share*s.rate {
			return e.at, true
		}
	}
	return time.Time{}, false
}

// Acceptances returns the times and sizes of every acceptance from the
// Client under test, oldest first.
func (s *Stub) Acceptances() (at []time.Time, n []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.accepted {
		if !e.other {
			at, n = append(at, e.at), append(n, e.n)
		}
	}
	return at, n
}

// envelope holds the recipients accepted for the account (the Client's
// and Take's) and checks a request against every window that ends now: the
// recipients of the window and the request's must not pass rate×w + rate.
// With S_k the recipients from entry k on, the rule for entry k is
//
//	S_k + need <= rate×(now−t_k) + rate
//
// and, with total the recipients of every entry so far and before_k those
// before entry k, S_k = total − before_k, so it reads
//
//	total + v_k − rate×now <= rate − need,  v_k = rate×t_k − before_k
//
// where v_k does not change with now: every window is checked at once
// against the largest v_k, which a monotonic queue keeps.
type envelope struct {
	rate  float64
	start time.Time
	total float64
	at    []time.Time // of the entries still kept, oldest first
	v     []float64
	max   []int // indexes into at and v whose v decreases, the largest first
}

// keep is how long an entry counts: windows longer than ten minutes are
// not checked, which lets a sender too fast for that long through by one
// more second's worth every ten minutes.
func (e *envelope) keep() time.Duration { return 10 * time.Minute }

func (e *envelope) seconds(t time.Time) float64 { return t.Sub(e.start).Seconds() }

// admits reports whether need more recipients fit every window at now.
func (e *envelope) admits(now time.Time, need float64) bool {
	cut := now.Add(-e.keep())
	drop := 0
	for drop < len(e.at) && e.at[drop].Before(cut) {
		drop++
	}
	if drop > 0 {
		e.at, e.v = e.at[drop:], e.v[drop:]
		i := 0
		for i < len(e.max) && e.max[i] < drop {
			i++
		}
		e.max = e.max[i:]
		for j := range e.max {
			e.max[j] -= drop
		}
	}
	if len(e.max) == 0 {
		return need <= e.rate+1e-9
	}
	return e.total+e.v[e.max[0]]-e.rate*e.seconds(now) <= e.rate-need+1e-9
}

// add records n recipients accepted at t.
func (e *envelope) add(t time.Time, n int) {
	v := e.rate*e.seconds(t) - e.total
	e.total += float64(n)
	for len(e.max) > 0 && e.v[e.max[len(e.max)-1]] <= v {
		e.max = e.max[:len(e.max)-1]
	}
	e.at, e.v = append(e.at, t), append(e.v, v)
	e.max = append(e.max, len(e.at)-1)
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
		reply(w, map[string]any{
			"ProductionAccessEnabled": true, "SendingEnabled": true, "EnforcementStatus": "HEALTHY",
			"SendQuota": map[string]float64{"MaxSendRate": s.rate, "Max24HourSend": -1, "SentLast24Hours": float64(s.sentLast24Hours(now))},
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
	if !s.env.admits(now, min(float64(n), s.rate)) {
		s.throttles++
		fail(w, http.StatusTooManyRequests, "TooManyRequestsException", "Maximum sending rate exceeded.")
		return false
	}
	s.env.add(now, n)
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
