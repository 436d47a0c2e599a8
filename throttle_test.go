package sesguard_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
)

// failFirst makes fake answer the first n SendEmail calls with the given
// error and counts every call.
func failFirst(fake *fakeSES, n int64, status int, code, msg string) *atomic.Int64 {
	var calls atomic.Int64
	fake.setFail(func(wireSend) (int, string, string) {
		if calls.Add(1) <= n {
			return status, code, msg
		}
		return 0, "", ""
	})
	return &calls
}

const rateMsg = "Maximum sending rate exceeded."

func TestThrottles(t *testing.T) {
	tests := []struct {
		name     string
		fails    int64 // throttled calls before SES accepts
		retries  int   // Options.ThrottleRetries
		deadline time.Duration
		calls    int64 // SendEmail calls SES receives
		sent     bool
	}{
		{"retried until accepted", 2, 0, 0, 3, true},
		{"given up after ThrottleRetries", 100, 2, 0, 3, false},
		{"not retried with negative ThrottleRetries", 100, -1, 0, 1, false},
		{"given up when the backoff would pass the deadline", 100, 0, 2 * time.Second, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, api := newFakeSES(t)
			calls := failFirst(fake, tt.fails, http.StatusTooManyRequests, "TooManyRequestsException", rateMsg)
			clk := wallClock()
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
			if got := calls.Load(); got != tt.calls {
				t.Errorf("SES received %d calls, want %d", got, tt.calls)
			}
			if tt.sent {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				ms := time.Millisecond
				if w := s.taken(); len(w) != 2 || w[0] < 50*ms || w[0] > 100*ms || w[1] < 100*ms || w[1] > 200*ms {
					t.Errorf("waits %v, want backoffs of 50-100ms and 100-200ms", w)
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

func TestThrottleBackoffIsCapped(t *testing.T) {
	fake, api := newFakeSES(t)
	failFirst(fake, 6, http.StatusTooManyRequests, "TooManyRequestsException", rateMsg)
	clk := newClock()
	s := &sleeper{clk: clk}
	c := newClient(t, api, onClock(clk, s))
	if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
		t.Fatal(err)
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
	fake, api := newFakeSES(t)
	failFirst(fake, 1, http.StatusTooManyRequests, "TooManyRequestsException", rateMsg)
	clk := newClock()
	s := &sleeper{clk: clk}
	c := newClient(t, api, onClock(clk, s), func(o *sesguard.Options) {
		o.SendRate = 10
		o.ThrottleBackoff = time.Millisecond
	})
	// The throttled send took 1 of 5 tokens and its retry 1 more; at half
	// the rate the bucket holds 3, so three more singles empty it and the
	// fourth waits 200ms, not 100ms.
	for range 4 {
		if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	s.taken()
	if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
		t.Fatal(err)
	}
	if w := s.taken(); len(w) != 1 || w[0] != 200*time.Millisecond {
		t.Errorf("wait after a throttle %v, want [200ms] at half the rate", w)
	}
	// 30s later the rate is whole again (the bucket grows back to 5 tokens
	// at that rate).
	clk.Advance(30 * time.Second)
	for range 6 {
		if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	waits := s.taken()
	for _, w := range waits {
		if w != 100*time.Millisecond {
			t.Errorf("waits 30s after the throttle %v, want 100ms each, at the full rate", waits)
			break
		}
	}
	if n := len(fake.sent()); n != 11 {
		t.Errorf("SES accepted %d messages, want 11", n)
	}
}

func TestTheSDKDoesNotRetryThrottlesButStillRetriesFaults(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		calls  int64
	}{
		{"throttle: not retried by the SDK", http.StatusTooManyRequests, "TooManyRequestsException", 1},
		{"5xx: the SDK's retry", http.StatusInternalServerError, "InternalServiceErrorException", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _ := newFakeSES(t)
			calls := failFirst(fake, 1, tt.status, tt.code, "try again")
			api := sesv2.New(sesv2.Options{
				BaseEndpoint: aws.String(fake.srv.URL),
				Region:       "us-east-1",
				Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
				Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
					o.MaxAttempts = 3
					o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				}),
			})
			clk := newClock()
			c := newClient(t, api, onClock(clk, &sleeper{clk: clk}), func(o *sesguard.Options) { o.ThrottleRetries = -1 })
			_, err := c.Send(ctx, simple("a@example.com"))
			if got := calls.Load(); got != tt.calls {
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
		opens       bool
		wantAsError func(error) bool
	}{
		{"MessageRejected is final for the message", "MessageRejected", false,
			func(err error) bool { var e *types.MessageRejected; return errors.As(err, &e) }},
		{"SendingPausedException opens the breaker", "SendingPausedException", true,
			func(err error) bool { var e *types.SendingPausedException; return errors.As(err, &e) }},
		{"AccountSuspendedException opens the breaker", "AccountSuspendedException", true,
			func(err error) bool { var e *types.AccountSuspendedException; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, api := newFakeSES(t)
			calls := failFirst(fake, 1, http.StatusBadRequest, tt.code, "no")
			clk := newClock()
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
			if want := map[bool]int64{true: 1, false: 2}[tt.opens]; calls.Load() != want {
				t.Errorf("SES received %d calls, want %d", calls.Load(), want)
			}
		})
	}
}
