package sesguard_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

// rateThrottle is SES's answer to a send over MaxSendRate.
var rateThrottle = sestest.Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Maximum sending rate exceeded."}

func TestThrottles(t *testing.T) {
	tests := []struct {
		name     string
		fails    int // throttled calls before SES accepts
		retries  int // Options.ThrottleRetries
		deadline time.Duration
		calls    int // SendEmail calls SES receives
		sent     bool
	}{
		{"retried until accepted", 2, 0, 0, 3, true},
		{"given up after ThrottleRetries", 100, 2, 0, 3, false},
		{"not retried with negative ThrottleRetries", 100, -1, 0, 1, false},
		{"given up when the backoff would pass the deadline", 100, 0, 2 * time.Second, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := wallClock()
			ses, api := newSES(t, onSESClock(clk))
			calls := hook(ses).fail("SendEmail", tt.fails, rateThrottle)
			s := &sleeper{clk: clk}
			c := newClient(t, api, onClock(clk, s), func(o *sesguard.Options) {
				o.SendRate = 10
				o.ThrottleRetries = tt.retries
				if tt.deadline > 0 {
					o.ThrottleBackoff = time.Minute // capped at 5s, jittered to at least 2.5s
				}
			})
			sctx := ctx
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				sctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := c.Send(sctx, simple("a@example.com"))
			if got := calls.count("SendEmail"); got != tt.calls {
				t.Errorf("SES received %d calls, want %d", got, tt.calls)
			}
			if got, want := len(ses.Messages()), map[bool]int{true: 1}[tt.sent]; got != want {
				t.Errorf("SES accepted %d messages, want %d", got, want)
			}
			if tt.sent {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				// A throttle empties the limiter's bucket and halves its
				// rate to 5/s, so after each backoff the limiter holds the
				// retry until a token is due (about 200ms after the
				// throttle); a backoff jittered that long needs no wait.
				w := s.taken()
				if !throttleWaitsOK(w) {
					t.Errorf("waits %v, want backoffs of 50-100ms and 100-200ms, each topped up by the limiter to a token's interval", w)
				}
				return
			}
			var tooMany *types.TooManyRequestsException
			if !errors.As(err, &tooMany) {
				t.Fatalf("Send: %v (%T), want a *types.TooManyRequestsException", err, err)
			}
		})
	}
}

// throttleWaitsOK reports whether w are two backoffs of 50-100ms and
// 100-200ms, each topped up by the limiter's wait to a token's interval at
// 5/s (200ms, less the little the clock moved by itself), the wait absent
// when the backoff already lasted that long.
func throttleWaitsOK(w []time.Duration) bool {
	const ms = time.Millisecond
	backoffs := [][2]time.Duration{{50 * ms, 100 * ms}, {100 * ms, 200 * ms}}
	for _, b := range backoffs {
		if len(w) == 0 || w[0] < b[0] || w[0] > b[1] {
			return false
		}
		waited := w[0]
		w = w[1:]
		if len(w) > 0 && waited+w[0] <= 205*ms {
			waited += w[0]
			w = w[1:]
		}
		if waited < 180*ms {
			return false
		}
	}
	return len(w) == 0
}

func TestThrottleBackoffIsCapped(t *testing.T) {
	clk := newClock()
	ses, api := newSES(t, onSESClock(clk))
	calls := hook(ses).fail("SendEmail", 6, rateThrottle)
	s := &sleeper{clk: clk}
	c := newClient(t, api, onClock(clk, s))
	if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
		t.Fatal(err)
	}
	if n := calls.count("SendEmail"); n != 7 {
		t.Errorf("SES received %d calls, want 6 throttled and 1 accepted", n)
	}
	waits := s.taken()
	if len(waits) != 6 {
		t.Fatalf("waits %v, want 6 backoffs", waits)
	}
	for i, w := range waits {
		ceiling := min(100*time.Millisecond<<i, 5*time.Second)
		if w < ceiling/2 || w > ceiling {
			t.Errorf("backoff %d is %v, want between %v and %v", i+1, w, ceiling/2, ceiling)
		}
	}
}

func TestThrottleSlowsTheLimiter(t *testing.T) {
	clk := newClock()
	ses, api := newSES(t, onSESClock(clk))
	hook(ses).fail("SendEmail", 1, rateThrottle)
	s := &sleeper{clk: clk}
	c := newClient(t, api, onClock(clk, s), func(o *sesguard.Options) {
		o.SendRate = 10
		o.ThrottleBackoff = time.Millisecond
	})
	// The throttled send took 1 of 5 tokens and its retry 1 more; at half
	// the rate the bucket holds 3, so three more singles empty it and the
	// fourth waits nearly 200ms, not 100ms (the rate has begun to climb
	// back).
	for range 4 {
		if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	s.taken()
	if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
		t.Fatal(err)
	}
	if w := s.taken(); len(w) != 1 || w[0] <= 150*time.Millisecond || w[0] > 200*time.Millisecond {
		t.Errorf("wait after a throttle %v, want one of 150-200ms, near half the rate", w)
	}
	// 3s later the rate is whole again (the bucket grows back to 5 tokens
	// at that rate).
	clk.Advance(3 * time.Second)
	for range 6 {
		if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	waits := s.taken()
	for _, w := range waits {
		if w != 100*time.Millisecond {
			t.Errorf("waits 3s after the throttle %v, want 100ms each, at the full rate", waits)
			break
		}
	}
	if n := len(ses.Messages()); n != 11 {
		t.Errorf("SES accepted %d messages, want 11", n)
	}
}

func TestTheSDKDoesNotRetryThrottlesButStillRetriesFaults(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		calls  int
	}{
		{"throttle: not retried by the SDK", http.StatusTooManyRequests, "TooManyRequestsException", 1},
		{"5xx: the SDK's retry", http.StatusInternalServerError, "InternalServiceErrorException", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			ses, _ := newSES(t, onSESClock(clk))
			calls := hook(ses).fail("SendEmail", 1, sestest.Fault{Status: tt.status, Code: tt.code, Message: "try again"})
			api := ses.Client(func(o *sesv2.Options) {
				o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
					o.MaxAttempts = 3
					o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				})
			})
			c := newClient(t, api, onClock(clk, &sleeper{clk: clk}), func(o *sesguard.Options) { o.ThrottleRetries = -1 })
			_, err := c.Send(ctx, simple("a@example.com"))
			if got := calls.count("SendEmail"); got != tt.calls {
				t.Errorf("SES received %d calls, want %d", got, tt.calls)
			}
			var tooMany *types.TooManyRequestsException
			if isThrottle := errors.As(err, &tooMany); isThrottle != (tt.status == http.StatusTooManyRequests) {
				t.Errorf("Send: %v", err)
			}
		})
	}
}

func TestFinalSESErrors(t *testing.T) {
	tests := []struct {
		name        string
		code        string
		account     func(*sestest.Account) // the account state behind the error
		opens       bool
		wantAsError func(error) bool
	}{
		{"MessageRejected is final for the message", "MessageRejected",
			func(a *sestest.Account) {
				// In the sandbox, a@ is not verified and b@ is.
				a.Sandbox, a.VerifiedIdentities = true, []string{"sender@example.com", "b@example.com"}
			}, false,
			func(err error) bool { var e *types.MessageRejected; return errors.As(err, &e) }},
		{"SendingPausedException opens the breaker", "SendingPausedException",
			func(a *sestest.Account) { a.SendingPaused = true }, true,
			func(err error) bool { var e *types.SendingPausedException; return errors.As(err, &e) }},
		{"AccountSuspendedException opens the breaker", "AccountSuspendedException",
			func(a *sestest.Account) { a.Suspended = true }, true,
			func(err error) bool { var e *types.AccountSuspendedException; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			ses, api := newSES(t, onSESClock(clk), func(o *sestest.Options) { tt.account(&o.Account) })
			calls := hook(ses)
			c := newClient(t, api, onClock(clk, &sleeper{clk: clk}))
			_, err := c.Send(ctx, simple("a@example.com"))
			if !tt.wantAsError(err) {
				t.Fatalf("Send: %v (%T), want the SDK's %s", err, err, tt.code)
			}
			_, err = c.Send(ctx, simple("b@example.com"))
			var open *sesguard.BreakerOpenError
			switch {
			case !tt.opens && err != nil:
				t.Errorf("the next send failed: %v", err)
			case tt.opens && !errors.As(err, &open):
				t.Errorf("the next send: %v, want a *BreakerOpenError", err)
			case tt.opens && (open.Cause != tt.code || !tt.wantAsError(err)):
				t.Errorf("breaker error %v: cause %q, want %q wrapping SES's error", err, open.Cause, tt.code)
			}
			if want := map[bool]int{true: 1, false: 2}[tt.opens]; calls.count("SendEmail") != want {
				t.Errorf("SES received %d calls, want %d", calls.count("SendEmail"), want)
			}
			if want := map[bool]int{true: 0, false: 1}[tt.opens]; len(ses.Messages()) != want {
				t.Errorf("SES accepted %d messages, want %d", len(ses.Messages()), want)
			}
		})
	}
}
