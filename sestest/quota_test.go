package sestest_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"golang.org/x/time/rate"

	"github.com/sesguard/sesguard/sestest"
)

func recipients(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("r%d@example.com", i)
	}
	return out
}

// throttleMessage returns the message of a TooManyRequestsException, "" for
// no error, and fails on any other error.
func throttleMessage(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) {
		t.Fatalf("err = %v, want nil or TooManyRequestsException", err)
	}
	return tm.ErrorMessage()
}

// TestRateBucket walks the per-second limit through a test clock: a bucket
// of MaxSendRate tokens, one per recipient, refilled continuously.
func TestRateBucket(t *testing.T) {
	type step struct {
		advance time.Duration
		n       int    // recipients
		want    string // "" or the throttle message
	}
	const throttled = "Maximum sending rate exceeded."
	cases := []struct {
		name  string
		rate  float64
		steps []step
	}{
		{"burst of one second", 5, []step{{0, 1, ""}, {0, 1, ""}, {0, 1, ""}, {0, 1, ""}, {0, 1, ""}, {0, 1, throttled}}},
		{"refills continuously", 5, []step{{0, 5, ""}, {0, 1, throttled}, {199 * time.Millisecond, 1, throttled}, {time.Millisecond, 1, ""}, {0, 1, throttled}}},
		{"counts recipients", 5, []step{{0, 3, ""}, {0, 3, throttled}, {0, 2, ""}, {0, 1, throttled}}},
		{"full bucket refills no further", 5, []step{{time.Hour, 5, ""}, {0, 1, throttled}}},
		{"larger than the burst goes when full, then repays", 5, []step{{0, 8, ""}, {0, 1, throttled}, {599 * time.Millisecond, 1, throttled}, {201 * time.Millisecond, 1, ""}}},
		{"larger than the burst waits for a full bucket", 5, []step{{0, 1, ""}, {0, 8, throttled}, {200 * time.Millisecond, 8, ""}}},
		{"fractional rate has a burst of one", 0.5, []step{{0, 1, ""}, {time.Second, 1, throttled}, {time.Second, 1, ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, client, clk := start(t, func(o *sestest.Options) { o.Account.MaxSendRate = tc.rate })
			throttles := 0
			for i, s := range tc.steps {
				clk.Advance(s.advance)
				_, err := client.SendEmail(ctxT(t), simple(recipients(s.n)...))
				if got := throttleMessage(t, err); got != s.want {
					t.Fatalf("step %d: %q, want %q", i, got, s.want)
				}
				if s.want != "" {
					throttles++
				}
			}
			if q := srv.Quota(); q.RateThrottles != int64(throttles) {
				t.Errorf("Quota().RateThrottles = %d, want %d", q.RateThrottles, throttles)
			}
		})
	}
}

// TestClientLimiterNeverThrottled runs a golang.org/x/time/rate.Limiter of
// the account's rate and burst in front of the server, on the same clock,
// sending messages of random sizes: the server never throttles it and it
// uses at least 98% of the rate.
func TestClientLimiterNeverThrottled(t *testing.T) {
	for _, r := range []float64{1, 14, 7.5} {
		t.Run(fmt.Sprint(r), func(t *testing.T) {
			srv, client, clk := start(t, func(o *sestest.Options) {
				o.Account.MaxSendRate = r
				o.Account.Max24HourSend = -1
			})
			burst := max(int(r), 1)
			lim := rate.NewLimiter(rate.Limit(r), burst)
			rng := rand.New(rand.NewPCG(1, uint64(r*10)))
			begin, sent := clk.Now(), 0
			for sent < int(60*r) {
				n := 1 + rng.IntN(burst)
				now := clk.Now()
				res := lim.ReserveN(now, n)
				if !res.OK() {
					t.Fatalf("limiter refused %d", n)
				}
				clk.Advance(res.DelayFrom(now))
				if _, err := client.SendEmail(ctxT(t), simple(recipients(n)...)); err != nil {
					t.Fatalf("after %d recipients: %v", sent, err)
				}
				sent += n
			}
			elapsed := clk.Now().Sub(begin).Seconds()
			capacity := elapsed*r + float64(burst)
			if util := float64(sent) / capacity; util < 0.98 {
				t.Errorf("utilisation %.3f (%d of %.1f)", util, sent, capacity)
			}
			if q := srv.Quota(); q.RateThrottles != 0 || q.Recipients != int64(sent) {
				t.Errorf("quota %+v", q)
			}
		})
	}
}

// TestDailyQuota checks the rolling 24-hour window, counted per recipient,
// with simulator mail outside it and suppressed addresses inside it.
func TestDailyQuota(t *testing.T) {
	srv, client, clk := start(t, func(o *sestest.Options) {
		o.Account.MaxSendRate = 1000
		o.Account.Max24HourSend = 10
	})
	const exceeded = "Daily message quota exceeded."
	send := func(want string, to ...string) {
		t.Helper()
		_, err := client.SendEmail(ctxT(t), simple(to...))
		if got := throttleMessage(t, err); got != want {
			t.Fatalf("send to %d at %s: %q, want %q", len(to), clk.Now().Format(time.TimeOnly), got, want)
		}
	}
	send("", recipients(6)...)
	clk.Advance(time.Hour)
	send("", recipients(3)...)
	send(exceeded, recipients(2)...)
	if _, err := client.PutSuppressedDestination(ctxT(t), &sesv2.PutSuppressedDestinationInput{
		EmailAddress: new("gone@example.com"), Reason: types.SuppressionListReasonBounce}); err != nil {
		t.Fatal(err)
	}
	send("", "gone@example.com") // suppressed: not sent, but counted
	send("", "success@simulator.amazonses.com", "bounce@simulator.amazonses.com")
	send(exceeded, "one@example.com")
	acct, err := client.GetAccount(ctxT(t), &sesv2.GetAccountInput{})
	if err != nil || acct.SendQuota.SentLast24Hours != 10 {
		t.Fatalf("GetAccount: %+v %v", acct, err)
	}
	clk.Advance(23*time.Hour - time.Nanosecond)
	send(exceeded, "one@example.com")
	clk.Advance(time.Nanosecond) // the first six are 24 hours old
	send("", recipients(6)...)
	send(exceeded, "one@example.com")
	if q := srv.Quota(); q.QuotaRejections != 4 || q.SentLast24Hours != 10 || q.Recipients != 18 {
		t.Errorf("quota %+v", q)
	}
}

// TestUnlimitedDailyQuota: -1 never runs out.
func TestUnlimitedDailyQuota(t *testing.T) {
	_, client, clk := start(t, func(o *sestest.Options) { o.Account.Max24HourSend = -1 })
	for range 100 {
		if _, err := client.SendEmail(ctxT(t), simple(recipients(14)...)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	acct, err := client.GetAccount(ctxT(t), &sesv2.GetAccountInput{})
	if err != nil || acct.SendQuota.Max24HourSend != -1 || acct.SendQuota.SentLast24Hours != 1400 {
		t.Fatalf("%+v %v", acct.SendQuota, err)
	}
}

// TestThrottledBulkEntries: each entry of a bulk send takes its tokens in
// turn; the entry that finds the bucket empty is refused with
// ACCOUNT_THROTTLED and not sent.
func TestThrottledBulkEntries(t *testing.T) {
	srv, client, _ := start(t, func(o *sestest.Options) {
		o.Account.MaxSendRate = 2
		o.Templates = map[string]sestest.Template{"T": {Subject: "s", Text: "t"}}
	})
	if _, err := client.SendEmail(ctxT(t), simple("first@example.com")); err != nil {
		t.Fatal(err)
	}
	entries := []types.BulkEmailEntry{{Destination: &types.Destination{ToAddresses: []string{"x@example.com"}}}, {Destination: &types.Destination{ToAddresses: []string{"y@example.com"}}}}
	out, err := client.SendBulkEmail(ctxT(t), &sesv2.SendBulkEmailInput{
		FromEmailAddress: new("sender@example.com"),
		DefaultContent:   &types.BulkEmailContent{Template: &types.Template{TemplateName: new("T")}},
		BulkEmailEntries: entries,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.BulkEmailEntryResults
	if r[0].Status != types.BulkEmailStatusSuccess {
		t.Errorf("entry 0: %s, want SUCCESS", r[0].Status)
	}
	if r[1].Status != types.BulkEmailStatusAccountThrottled || r[1].Error == nil || !strings.HasPrefix(*r[1].Error, "Maximum sending rate") {
		t.Errorf("entry 1: %s %v, want ACCOUNT_THROTTLED", r[1].Status, r[1].Error)
	}
	if len(srv.Messages()) != 2 {
		t.Errorf("%d messages accepted, want 2", len(srv.Messages()))
	}
}
