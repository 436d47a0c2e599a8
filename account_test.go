package sesguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

// accountSES answers GetAccount with a SendQuota the test sets and
// SendEmail with success or the error the test sets, over HTTP to the real
// SDK client, and counts both.
type accountSES struct {
	srv *httptest.Server

	mu          sync.Mutex
	quota       [3]float64 // MaxSendRate, Max24HourSend, SentLast24Hours
	failAccount bool
	sendErr     string // a TooManyRequestsException message for SendEmail
	throttles   int    // how many SendEmail calls get it; negative: all
	gets, sends int
}

func newAccountSES(t *testing.T, rate, daily, sent float64) (*accountSES, *sesv2.Client) {
	t.Helper()
	a := &accountSES{quota: [3]float64{rate, daily, sent}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/email/account", func(w http.ResponseWriter, _ *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.gets++
		if a.failAccount {
			sesError(w, http.StatusBadRequest, "BadRequestException", "no")
			return
		}
		fmt.Fprintf(w, `{"SendQuota":{"MaxSendRate":%v,"Max24HourSend":%v,"SentLast24Hours":%v},"SendingEnabled":true}`, a.quota[0], a.quota[1], a.quota[2])
	})
	mux.HandleFunc("POST /v2/email/outbound-emails", func(w http.ResponseWriter, _ *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.sends++
		if a.throttles != 0 {
			a.throttles--
			sesError(w, http.StatusTooManyRequests, "TooManyRequestsException", a.sendErr)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": fmt.Sprint(a.sends)})
	})
	a.srv = httptest.NewServer(mux)
	t.Cleanup(a.srv.Close)
	return a, sesv2.New(sesv2.Options{
		BaseEndpoint:     aws.String(a.srv.URL),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

func (a *accountSES) set(fn func(a *accountSES)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(a)
}

func (a *accountSES) counts() (gets, sends int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gets, a.sends
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
	ses, api := newAccountSES(t, 20, 100, 80)
	clk := newClock()
	g := newRefreshGate(clk)
	c := accountClient(t, api, clk, g)
	start := clk.Now()
	// 20/s × 0.95 = 19/s with a bucket of 10, full at the start.
	for _, n := range []int{10, 1} {
		if _, err := c.Send(ctx, simple(recipients(n)...)); err != nil {
			t.Fatal(err)
		}
	}
	if w := g.taken(); len(w) != 1 || w[0] != time.Second/19 {
		t.Errorf("waits %v, want one of 1/19 s", w)
	}
	// 80 + 11 of 100 sent: 9 left.
	var q *sesguard.QuotaExceededError
	if _, err := c.Send(ctx, simple(recipients(10)...)); !errors.As(err, &q) {
		t.Fatalf("Send past the account's quota: %v", err)
	}
	if q.Quota != 100 || q.Used != 91 || !q.RetryAt.Equal(start.Add(every)) {
		t.Errorf("error %+v: want 91 of 100 used, room at the next refresh", q)
	}
	if gets, sends := ses.counts(); gets != 1 || sends != 2 {
		t.Errorf("SES saw %d GetAccount and %d SendEmail calls, want 1 and 2", gets, sends)
	}

	// The next refresh reads the account again: the 80 have left the window.
	ses.set(func(a *accountSES) { a.quota[2] = 11 })
	g.gate <- struct{}{}
	waitFor(t, func() bool { gets, _ := ses.counts(); return gets == 2 })
	if err := c.RefreshQuota(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, simple(recipients(10)...)); err != nil {
		t.Errorf("Send after the refresh: %v", err)
	}
}

func TestAccountQuotaUnlimited(t *testing.T) {
	_, api := newAccountSES(t, 1000, -1, 5e6)
	clk := newClock()
	c := accountClient(t, api, clk, newRefreshGate(clk))
	if _, err := c.Send(ctx, simple(recipients(50)...)); err != nil {
		t.Errorf("Send with Max24HourSend -1: %v", err)
	}
}

func TestAccountQuotaTellsTheDailyQuotaFromTheRate(t *testing.T) {
	tests := []struct {
		name      string
		sentAfter float64 // SentLast24Hours when SES throttles
		quota     bool    // the send fails with a *QuotaExceededError
	}{
		{"spent daily quota: final", 1000, true},
		{"room in the quota: a rate throttle, whatever the message says", 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ses, api := newAccountSES(t, 14, 1000, 0)
			clk := newClock()
			c := accountClient(t, api, clk, newRefreshGate(clk))
			if err := c.RefreshQuota(ctx); err != nil {
				t.Fatal(err)
			}
			ses.set(func(a *accountSES) {
				a.sendErr, a.quota[2] = "Daily message quota exceeded.", tt.sentAfter
				a.throttles = map[bool]int{true: -1, false: 2}[tt.quota] // a rate throttle passes
			})
			// A throttle reads the account unless a read began at most 5s before.
			clk.Advance(6 * time.Second)
			_, err := c.Send(ctx, simple("a@example.com"))
			gets, _ := ses.counts()
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
			_, sends := ses.counts()
			if _, err := c.Send(ctx, simple("b@example.com")); !errors.Is(err, sesguard.ErrQuotaExceeded) {
				t.Errorf("the next send: %v, want ErrQuotaExceeded", err)
			}
			if _, after := ses.counts(); after != sends {
				t.Errorf("the next send called SES")
			}
		})
	}
}

func TestAccountQuotaWhenGetAccountFails(t *testing.T) {
	ses, api := newAccountSES(t, 14, 1000, 0)
	ses.set(func(a *accountSES) { a.failAccount = true })
	clk := newClock()
	g := newRefreshGate(clk)
	c := accountClient(t, api, clk, g, func(o *sesguard.Options) { o.SendRate = 4 })
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
	ses, api := newAccountSES(t, 14, 1000, 0)
	clk := newClock()
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
	if gets, _ := ses.counts(); gets != 1 {
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
			srv, api := emulator(t, 0, func(o *sestest.Options) { o.Account, o.Now = tt.account, clk.Now })
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
