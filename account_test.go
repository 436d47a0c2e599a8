package sesguard_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/sestest"
)

// accountSES starts the emulator on clk with an account of the given
// MaxSendRate and Max24HourSend, and hooks it to count the calls.
func accountSES(t *testing.T, clk *clock, rate, daily float64) (*sestest.Server, *sesv2.Client, *sesHook) {
	t.Helper()
	ses, api := newSES(t, onSESClock(clk), func(o *sestest.Options) {
		o.Account.MaxSendRate, o.Account.Max24HourSend = rate, daily
	})
	return ses, api, hook(ses)
}

// sentElsewhere has another sender on the account mail n recipients now,
// with a client of its own, so that SES counts them against the daily
// quota. The account's rate is raised while they go and then set back,
// which leaves the rate bucket full.
func sentElsewhere(t *testing.T, ses *sestest.Server, n int) {
	t.Helper()
	var rate float64
	if err := ses.UpdateAccount(func(a *sestest.Account) { rate, a.MaxSendRate = a.MaxSendRate, 1e6 }); err != nil {
		t.Fatal(err)
	}
	other := ses.Client(sestest.NoRetries)
	for to := range slices.Chunk(recipients(n), 50) {
		if _, err := other.SendEmail(ctx, simple(to...)); err != nil {
			t.Fatalf("the other sender: %v", err)
		}
	}
	if err := ses.UpdateAccount(func(a *sestest.Account) { a.MaxSendRate = rate }); err != nil {
		t.Fatal(err)
	}
}

// refreshGate is an Options.Sleep for AccountQuota tests: the waits of the
// refresh loop (every, or 10s after a failure) block until the test opens
// the gate once; the shorter waits of the limiter and the throttle backoff
// move the clock, as sleeper does.
type refreshGate struct {
	sleeper
	gate chan struct{}
}

func newRefreshGate(clk *clock) *refreshGate {
	return &refreshGate{sleeper: sleeper{clk: clk}, gate: make(chan struct{})}
}

func (g *refreshGate) Sleep(ctx context.Context, d time.Duration) error {
	if d < 10*time.Second {
		return g.sleeper.Sleep(ctx, d)
	}
	select {
	case <-g.gate:
		g.clk.Advance(d)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

const every = 7 * time.Minute

func accountClient(t *testing.T, api sesguard.SESv2API, clk *clock, g *refreshGate, optFns ...func(*sesguard.Options)) *sesguard.Client {
	t.Helper()
	c := newClient(t, api, append([]func(*sesguard.Options){func(o *sesguard.Options) {
		o.Now, o.Sleep = clk.Now, g.Sleep
		o.AccountQuota, o.AccountRefresh = true, every
		o.ThrottleBackoff = time.Millisecond
	}}, optFns...)...)
	closeClient(t, c)
	return c
}

func TestAccountQuotaSetsTheRateAndTheQuota(t *testing.T) {
	clk := newClock()
	ses, api, _ := accountSES(t, clk, 20, 100)
	// Another sender mailed 80 recipients almost a day ago: they leave
	// SES's 24-hour window before the Client's next refresh.
	sentElsewhere(t, ses, 80)
	clk.Advance(24*time.Hour - every/2)
	calls := hook(ses)
	g := newRefreshGate(clk)
	c := accountClient(t, api, clk, g)
	start := clk.Now()
	// 20/s with a bucket of 10, full at the start.
	for _, n := range []int{10, 1} {
		if _, err := c.Send(ctx, simple(recipients(n)...)); err != nil {
			t.Fatal(err)
		}
	}
	if w := g.taken(); len(w) != 1 || w[0] != time.Second/20 {
		t.Errorf("waits %v, want one of 1/20 s", w)
	}
	// 80 + 11 of 100 sent: 9 left.
	var q *sesguard.QuotaExceededError
	if _, err := c.Send(ctx, simple(recipients(10)...)); !errors.As(err, &q) {
		t.Fatalf("Send past the account's quota: %v", err)
	}
	if q.Quota != 100 || q.Used != 91 || !q.RetryAt.Equal(start.Add(every)) {
		t.Errorf("error %+v: want 91 of 100 used, room at the next refresh", q)
	}
	if gets, sends := calls.count("GetAccount"), calls.count("SendEmail"); gets != 1 || sends != 2 {
		t.Errorf("SES saw %d GetAccount and %d SendEmail calls, want 1 and 2", gets, sends)
	}

	// The next refresh reads the account again: the 80 have left the window.
	g.gate <- struct{}{}
	waitFor(t, func() bool { return calls.count("GetAccount") == 2 })
	if err := c.RefreshQuota(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, simple(recipients(10)...)); err != nil {
		t.Errorf("Send after the refresh: %v", err)
	}
	if q := ses.Quota(); q.SentLast24Hours != 21 || q.RateThrottles != 0 || q.QuotaRejections != 0 {
		t.Errorf("SES counts %v recipients in the window and refused %d for the rate, %d for the quota; want 21 and none",
			q.SentLast24Hours, q.RateThrottles, q.QuotaRejections)
	}
}

func TestAccountQuotaUnlimited(t *testing.T) {
	clk := newClock()
	ses, api, _ := accountSES(t, clk, 1000, -1)
	sentElsewhere(t, ses, 1000)
	c := accountClient(t, api, clk, newRefreshGate(clk))
	if _, err := c.Send(ctx, simple(recipients(50)...)); err != nil {
		t.Errorf("Send with Max24HourSend -1: %v", err)
	}
}

func TestAccountQuotaTellsTheDailyQuotaFromTheRate(t *testing.T) {
	tests := []struct {
		name      string
		sentAfter int  // recipients another sender mails after the Client read the account
		quota     bool // the send fails with a *QuotaExceededError
	}{
		{"spent daily quota: final", 1000, true},
		{"room in the quota: a rate throttle, whatever the message says", 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			ses, api, calls := accountSES(t, clk, 14, 1000)
			c := accountClient(t, api, clk, newRefreshGate(clk))
			if err := c.RefreshQuota(ctx); err != nil {
				t.Fatal(err)
			}
			sentElsewhere(t, ses, tt.sentAfter)
			if !tt.quota {
				// With room in the quota, SES throttles twice with the
				// quota's message: a rate throttle, which passes.
				calls.fail("SendEmail", 2, sestest.Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Daily message quota exceeded."})
			}
			// A throttle reads the account unless a read began at most 5s before.
			clk.Advance(6 * time.Second)
			_, err := c.Send(ctx, simple("a@example.com"))
			gets := calls.count("GetAccount")
			if !tt.quota {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if gets != 2 {
					t.Errorf("%d GetAccount calls, want 2: throttles a moment apart share one", gets)
				}
				return
			}
			var q *sesguard.QuotaExceededError
			var tooMany *types.TooManyRequestsException
			if !errors.As(err, &q) || !errors.As(err, &tooMany) || q.Used != 1000 {
				t.Fatalf("Send: %v, want a *QuotaExceededError with 1000 used wrapping the SDK's error", err)
			}
			sends := calls.count("SendEmail")
			if _, err := c.Send(ctx, simple("b@example.com")); !errors.Is(err, sesguard.ErrQuotaExceeded) {
				t.Errorf("the next send: %v, want ErrQuotaExceeded", err)
			}
			if calls.count("SendEmail") != sends {
				t.Errorf("the next send called SES")
			}
		})
	}
}

func TestAccountQuotaWhenGetAccountFails(t *testing.T) {
	clk := newClock()
	_, api, calls := accountSES(t, clk, 14, 1000)
	calls.fail("GetAccount", -1, sestest.Fault{Status: http.StatusBadRequest, Code: "BadRequestException", Message: "no"})
	g := newRefreshGate(clk)
	c := accountClient(t, api, clk, g, func(o *sesguard.Options) { o.SendRate, o.ContinueWithoutAccount = 4, true })
	// Until the account is read, SendRate applies: a bucket of 2 at 4/s.
	for range 3 {
		if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	if w := g.taken(); len(w) != 1 || w[0] != 250*time.Millisecond {
		t.Errorf("waits %v, want one of 250ms at SendRate", w)
	}
	if err := c.RefreshQuota(ctx); err == nil {
		t.Error("RefreshQuota succeeded while GetAccount fails")
	}
}

func TestCloseStopsTheRefreshes(t *testing.T) {
	clk := newClock()
	_, api, calls := accountSES(t, clk, 14, 1000)
	c, err := sesguard.New(api, func(o *sesguard.Options) {
		o.Now, o.AccountQuota, o.AccountRefresh = clk.Now, true, every
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RefreshQuota(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if err := c.RefreshQuota(ctx); !errors.Is(err, sesguard.ErrClosed) {
		t.Errorf("RefreshQuota after Close: %v, want ErrClosed", err)
	}
	if _, err := c.Send(ctx, simple("a@example.com")); err != nil {
		t.Errorf("Send after Close: %v", err)
	}
	if gets := calls.count("GetAccount"); gets != 1 {
		t.Errorf("%d GetAccount calls, want 1", gets)
	}
}

// waitFor waits, a bounded time, for real asynchrony: a background refresh.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTheEmulatorsThrottlesAreToldApart(t *testing.T) {
	tests := []struct {
		name    string
		account sestest.Account
		other   int  // recipients another sender sends first, bypassing the Client
		quota   bool // the Client's send fails with a *QuotaExceededError
	}{
		{"another sender spent the daily quota", sestest.Account{MaxSendRate: 100, Max24HourSend: 10}, 10, true},
		{"another sender emptied the rate bucket", sestest.Account{MaxSendRate: 5, Max24HourSend: 1000}, 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			srv, api := sendload.Emulator(t, 0, func(o *sestest.Options) { o.Account, o.Now = tt.account, clk.Now })
			c := accountClient(t, api, clk, newRefreshGate(clk))
			if err := c.RefreshQuota(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Client(sestest.NoRetries).SendEmail(ctx, simple(recipients(tt.other)...)); err != nil {
				t.Fatal(err)
			}
			if tt.quota {
				clk.Advance(6 * time.Second) // past the gap within which throttles share a GetAccount
			}
			_, err := c.Send(ctx, simple("mine@example.com"))
			q := srv.Quota()
			if !tt.quota {
				if err != nil || q.RateThrottles == 0 || q.Messages != 2 {
					t.Fatalf("Send: %v; SES throttled %d and accepted %d messages, want the throttle retried", err, q.RateThrottles, q.Messages)
				}
				return
			}
			var qe *sesguard.QuotaExceededError
			var tooMany *types.TooManyRequestsException
			if !errors.As(err, &qe) || !errors.As(err, &tooMany) || qe.Used != 10 || qe.Quota != 10 || q.QuotaRejections != 1 {
				t.Fatalf("Send: %v; SES refused %d for the quota; want one refusal and a *QuotaExceededError with 10 of 10 used", err, q.QuotaRejections)
			}
			if _, err := c.Send(ctx, simple("again@example.com")); !errors.Is(err, sesguard.ErrQuotaExceeded) || srv.Quota().QuotaRejections != 1 {
				t.Errorf("the next send: %v, want ErrQuotaExceeded without asking SES", err)
			}
		})
	}
}
