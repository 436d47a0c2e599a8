package sesguard_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// breakerRun is a Client with a breaker on a test clock, and what its hook
// and logger heard.
type breakerRun struct {
	t     *testing.T
	ses   *sestest.Server
	clk   *clock
	c     *sesguard.Client
	logs  bytes.Buffer
	mu    sync.Mutex
	heard []string // "from>to (reason)"
}

func newBreakerRun(t *testing.T, clk *clock, optFns ...func(*sesguard.Options)) *breakerRun {
	t.Helper()
	r := &breakerRun{t: t, clk: clk}
	ses, api := newSES(t, onSESClock(clk))
	r.ses = ses
	opts := append([]func(*sesguard.Options){
		onClock(clk, &sleeper{clk: clk}),
		func(o *sesguard.Options) {
			o.Logger = slog.New(slog.NewTextHandler(&r.logs, nil))
			o.Breaker.OnStateChange = func(c sesguard.BreakerChange) {
				r.mu.Lock()
				r.heard = append(r.heard, c.From.String()+">"+c.To.String()+" ("+c.Reason+")")
				r.mu.Unlock()
			}
		},
	}, optFns...)
	r.c = newClient(t, api, opts...)
	return r
}

// send sends to n recipients, in messages of at most 50 as SES allows, and
// returns the first error. The breaker counts recipients, not messages.
func (r *breakerRun) send(n int) error {
	r.t.Helper()
	for to := range slices.Chunk(recipients(n), 50) {
		if _, err := r.c.Send(ctx, simple(to...)); err != nil {
			return err
		}
	}
	return nil
}

func (r *breakerRun) mustSend(n int) {
	r.t.Helper()
	if err := r.send(n); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

func (r *breakerRun) bounce(n int) {
	r.t.Helper()
	if err := sesguard.ObserveBounces(ctx, r.c, n); err != nil {
		r.t.Fatal(err)
	}
}

func (r *breakerRun) complain(n int) {
	r.t.Helper()
	if err := sesguard.ObserveComplaints(ctx, r.c, n); err != nil {
		r.t.Fatal(err)
	}
}

func (r *breakerRun) changes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.heard
	r.heard = nil
	return h
}

func (r *breakerRun) wantState(s sesguard.BreakerState) {
	r.t.Helper()
	if got := r.c.Breaker().State; got != s {
		r.t.Fatalf("breaker %v, want %v", got, s)
	}
}

func TestBreakerOpensAtTheThresholdAfterTheMinimumVolume(t *testing.T) {
	tests := []struct {
		name       string
		bounces    int
		complaints int
		opens      bool
		cause      string
		rate       float64
	}{
		{"bounces at 4% open it", 8, 0, true, sesguard.CauseBounceRate, 0.04},
		{"bounces under 4% do not", 7, 0, false, "", 0},
		{"one complaint in 200 opens it", 0, 1, true, sesguard.CauseComplaintRate, 0.005},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newBreakerRun(t, newClock())
			// Under the minimum volume, any rate is let through.
			r.mustSend(199)
			r.bounce(tt.bounces)
			r.complain(tt.complaints)
			r.wantState(sesguard.BreakerClosed)
			r.mustSend(1)
			// The 200th recipient is counted at the next refresh.
			r.clk.Advance(10 * time.Second)
			err := r.send(1)
			if !tt.opens {
				if err != nil {
					t.Fatalf("send under the threshold: %v", err)
				}
				r.wantState(sesguard.BreakerClosed)
				return
			}
			var open *sesguard.BreakerOpenError
			if !errors.As(err, &open) || !errors.Is(err, sesguard.ErrBreakerOpen) {
				t.Fatalf("send at the threshold: %v, want a *BreakerOpenError", err)
			}
			if open.Cause != tt.cause || open.Rate != tt.rate || open.Volume != 200 || open.State != sesguard.BreakerOpen {
				t.Errorf("error %+v: want cause %q at %v over 200 recipients", open, tt.cause, tt.rate)
			}
			if !open.RetryAt.Equal(r.clk.Now().Add(time.Hour)) {
				t.Errorf("RetryAt %v, want an hour from now", open.RetryAt)
			}
			if n := r.ses.Quota().Recipients; n != 200 {
				t.Errorf("SES mailed %d recipients, want 200", n)
			}
			if got := r.changes(); len(got) != 1 || got[0] != "closed>open ("+tt.cause+")" {
				t.Errorf("hook heard %v", got)
			}
			if !strings.Contains(r.logs.String(), "reputation breaker opened") {
				t.Errorf("log %q does not say the breaker opened", r.logs.String())
			}
			s := r.c.Breaker()
			if s.Sent != 200 || s.Bounced != int64(tt.bounces) || s.Complained != int64(tt.complaints) || s.Open == nil {
				t.Errorf("status %+v", s)
			}
		})
	}
}

// openBreaker opens r's breaker with 10 bounces in 200.
func openBreaker(r *breakerRun) {
	r.t.Helper()
	r.mustSend(200)
	r.bounce(10)
	r.wantState(sesguard.BreakerOpen)
	r.changes()
}

func TestBreakerHalfOpenTrial(t *testing.T) {
	t.Run("passes after the trial volume and the wait", func(t *testing.T) {
		r := newBreakerRun(t, newClock())
		openBreaker(r)
		if err := r.send(1); !errors.Is(err, sesguard.ErrBreakerOpen) {
			t.Fatalf("send while open: %v", err)
		}
		r.clk.Advance(time.Hour)
		r.mustSend(50)
		r.wantState(sesguard.BreakerHalfOpen)
		var open *sesguard.BreakerOpenError
		if err := r.send(1); !errors.As(err, &open) || open.State != sesguard.BreakerHalfOpen {
			t.Fatalf("send past the trial volume: %v, want a half-open refusal", err)
		}
		if want := r.clk.Now().Add(10 * time.Minute); !open.RetryAt.Equal(want) {
			t.Errorf("half-open RetryAt %v, want %v", open.RetryAt, want)
		}
		r.bounce(1) // 1 in 50: 2%, under 4%
		r.clk.Advance(10 * time.Minute)
		r.mustSend(1)
		r.wantState(sesguard.BreakerClosed)
		if got := r.changes(); len(got) != 2 || got[0] != "open>half-open (cool-down over)" || got[1] != "half-open>closed (trial passed)" {
			t.Errorf("hook heard %v", got)
		}
		// The window now starts with the trial: 50 sent, 1 bounce.
		if s := r.c.Breaker(); s.Sent != 50 || s.Bounced != 1 {
			t.Errorf("after the trial the window holds %d sent and %d bounced, want 50 and 1", s.Sent, s.Bounced)
		}
	})
	t.Run("fails when the trial bounces", func(t *testing.T) {
		r := newBreakerRun(t, newClock())
		openBreaker(r)
		r.clk.Advance(time.Hour)
		r.mustSend(10)
		r.bounce(2) // 2 over a trial of at least 50: 4%
		r.wantState(sesguard.BreakerOpen)
		if got := r.changes(); len(got) != 2 || got[1] != "half-open>open (trial failed: bounce rate)" {
			t.Errorf("hook heard %v", got)
		}
		if err := r.send(1); !errors.Is(err, sesguard.ErrBreakerOpen) {
			t.Errorf("send after a failed trial: %v", err)
		}
	})
}

func TestBreakerReset(t *testing.T) {
	r := newBreakerRun(t, newClock())
	openBreaker(r)
	if err := r.c.ResetBreaker(ctx); err != nil {
		t.Fatal(err)
	}
	r.wantState(sesguard.BreakerClosed)
	r.clk.Advance(10 * time.Second)
	r.mustSend(5)
	r.clk.Advance(10 * time.Second)
	r.mustSend(1)
	if s := r.c.Breaker(); s.Sent != 5 || s.Bounced != 0 {
		t.Errorf("after a reset the window holds %d sent and %d bounced, want 5 and 0", s.Sent, s.Bounced)
	}
	if got := r.changes(); len(got) != 1 || got[0] != "open>closed (reset)" {
		t.Errorf("hook heard %v", got)
	}
}

func TestBreakerLetsCriticalMailThrough(t *testing.T) {
	for _, allow := range []bool{true, false} {
		r := newBreakerRun(t, newClock(), func(o *sesguard.Options) { o.Breaker.AllowCritical = allow })
		openBreaker(r)
		_, err := r.c.Send(sesguard.Critical(ctx), simple("reset@example.com"))
		if allow && err != nil {
			t.Errorf("AllowCritical: critical mail refused: %v", err)
		}
		if !allow && !errors.Is(err, sesguard.ErrBreakerOpen) {
			t.Errorf("without AllowCritical: critical mail %v, want ErrBreakerOpen", err)
		}
		if err := r.send(1); !errors.Is(err, sesguard.ErrBreakerOpen) {
			t.Errorf("AllowCritical %v: ordinary mail %v, want ErrBreakerOpen", allow, err)
		}
	}
}

func TestBreakerSharesCountsThroughTheStore(t *testing.T) {
	clk := newClock()
	shared := memstore.New()
	onShared := func(o *sesguard.Options) { o.Store = shared }
	webhook := newBreakerRun(t, clk, onShared)
	sender := newBreakerRun(t, clk, onShared)
	sender.mustSend(200)
	clk.Advance(10 * time.Second)
	sender.mustSend(1) // writes the 200 to the store
	webhook.bounce(9)
	webhook.wantState(sesguard.BreakerOpen)
	clk.Advance(10 * time.Second)
	if err := sender.send(1); !errors.Is(err, sesguard.ErrBreakerOpen) {
		t.Fatalf("the sender did not see the webhook's bounces: %v", err)
	}
	if err := webhook.c.ResetBreaker(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	if err := sender.send(1); err != nil {
		t.Fatalf("the sender did not see the webhook's reset: %v", err)
	}

	// A Client that starts after the reset finds it too.
	late := newBreakerRun(t, clk, onShared)
	late.mustSend(1)
	if s := late.c.Breaker(); s.Bounced != 0 {
		t.Errorf("a Client started after the reset counts %d bounces from before it", s.Bounced)
	}
}

// brokenCounts is a store whose shared counts fail.
type brokenCounts struct{ store.Store }

var errCountsDown = errors.New("counts down")

func (brokenCounts) AddCount(context.Context, store.Count) error {
	return errCountsDown
}

func (brokenCounts) SumCounts(context.Context, string, time.Time, time.Time) (int64, error) {
	return 0, errCountsDown
}

func TestBreakerWhoseCountsFailNeverFailsASend(t *testing.T) {
	r := newBreakerRun(t, newClock(), func(o *sesguard.Options) { o.Store = brokenCounts{memstore.New()} })
	r.mustSend(300)
	if err := sesguard.ObserveBounces(ctx, r.c, 1); !errors.Is(err, errCountsDown) || !errors.Is(err, sesguard.ErrStoreUnavailable) {
		t.Errorf("observe with failing counts: %v, want a *StoreError", err)
	}
	r.wantState(sesguard.BreakerClosed)
	if !strings.Contains(r.logs.String(), "could not use its counts") {
		t.Errorf("log %q does not report the failing counts", r.logs.String())
	}
}

// bulkStatusAPI answers every bulk entry with one status. It is a fake, not
// sestest, because sesguard must handle entries whose status is
// ACCOUNT_SENDING_PAUSED or ACCOUNT_SUSPENDED, and the emulator never
// answers them: it fails the whole SendBulkEmail call of a paused or
// suspended account, and its fault hook answers only errors.
type bulkStatusAPI struct {
	funcAPI
	status types.BulkEmailStatus
}

func (a bulkStatusAPI) SendBulkEmail(_ context.Context, in *sesv2.SendBulkEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendBulkEmailOutput, error) {
	out := &sesv2.SendBulkEmailOutput{}
	for range in.BulkEmailEntries {
		out.BulkEmailEntryResults = append(out.BulkEmailEntryResults, types.BulkEmailEntryResult{Status: a.status, Error: aws.String("entry " + string(a.status))})
	}
	return out, nil
}

func TestBulkEntryStatuses(t *testing.T) {
	tests := []struct {
		status types.BulkEmailStatus
		opens  bool
		used   int64 // recipients counted against the quota
	}{
		{types.BulkEmailStatusSuccess, false, 2},
		{types.BulkEmailStatusMessageRejected, false, 0},
		{types.BulkEmailStatusAccountSendingPaused, true, 0},
		{types.BulkEmailStatusAccountSuspended, true, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			clk := newClock()
			api := bulkStatusAPI{status: tt.status, funcAPI: funcAPI{send: func(context.Context, *sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error) {
				return &sesv2.SendEmailOutput{}, nil
			}}}
			c := newClient(t, api, onClock(clk, &sleeper{clk: clk}), func(o *sesguard.Options) { o.DailyQuota = 3 })
			in := &sesv2.SendBulkEmailInput{BulkEmailEntries: []types.BulkEmailEntry{
				{Destination: &types.Destination{ToAddresses: []string{"a@example.com"}}},
				{Destination: &types.Destination{ToAddresses: []string{"b@example.com"}}},
			}}
			if _, err := c.SendBulkEmail(ctx, in); err != nil {
				t.Fatal(err)
			}
			s := c.Breaker()
			if (s.State == sesguard.BreakerOpen) != tt.opens {
				t.Errorf("breaker %v after entries %s", s.State, tt.status)
			}
			if tt.opens && s.Open.Cause != string(tt.status) {
				t.Errorf("cause %q, want %q", s.Open.Cause, tt.status)
			}
			// Two more recipients fit only if the bulk send used none.
			_, err := c.Send(ctx, simple(recipients(2)...))
			var q *sesguard.QuotaExceededError
			switch {
			case tt.used > 0 && (!errors.As(err, &q) || q.Used != tt.used):
				t.Errorf("after the bulk send: %v, want the quota to count %d", err, tt.used)
			case tt.used == 0 && errors.Is(err, sesguard.ErrQuotaExceeded):
				t.Errorf("entries SES did not accept used the quota: %v", err)
			}
		})
	}
}

func TestBreakerDisabled(t *testing.T) {
	r := newBreakerRun(t, newClock(), func(o *sesguard.Options) { o.Breaker.Disabled = true })
	r.mustSend(200)
	r.bounce(200)
	r.clk.Advance(time.Minute)
	r.mustSend(1)
	if s := r.c.Breaker(); s != (sesguard.BreakerStatus{}) {
		t.Errorf("a disabled breaker reports %+v", s)
	}
	if err := r.c.ResetBreaker(ctx); err != nil {
		t.Errorf("ResetBreaker on a disabled breaker: %v", err)
	}
}

func TestBreakerStateString(t *testing.T) {
	for s, want := range map[sesguard.BreakerState]string{
		sesguard.BreakerClosed: "closed", sesguard.BreakerOpen: "open", sesguard.BreakerHalfOpen: "half-open", 7: "BreakerState(7)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(s), got, want)
		}
	}
}
