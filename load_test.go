package sesguard_test

import (
	"context"
	"testing"
	"time"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/internal/testclock"
	"github.com/sesguard/sesguard/sestest"
)

func TestPacedSendsAreNotThrottled(t *testing.T) {
	srv, api := sendload.Emulator(t, 300)
	c := newClient(t, api, func(o *sesguard.Options) { o.AccountQuota = true })
	closeClient(t, c)
	r := sendload.Load{Workers: 32, Duration: 1500 * time.Millisecond}.Run(c)
	for _, err := range r.Errs {
		t.Errorf("Send: %v", err)
	}
	q := srv.Quota()
	if q.RateThrottles != 0 {
		t.Errorf("SES throttled %d requests, want none", q.RateThrottles)
	}
	if q.Recipients != r.Recipients.Load() || q.Messages != r.Messages.Load() {
		t.Errorf("SES accepted %d messages to %d recipients; the Clients sent %d to %d", q.Messages, q.Recipients, r.Messages.Load(), r.Recipients.Load())
	}
}

// TestThrottlesAreAbsorbedByRetries runs the Client and SES on one test
// clock that moves only when the Client waits, so that SES throttles the
// Client's first burst however slowly the machine sends.
func TestThrottlesAreAbsorbedByRetries(t *testing.T) {
	clk := testclock.New(time.Now())
	srv, api := sendload.Emulator(t, 200, func(o *sestest.Options) { o.Now = clk.Now })
	c := newClient(t, api, func(o *sesguard.Options) {
		// Ten times what SES allows: the Client's first burst alone is
		// five times SES's.
		o.SendRate = 2000
		o.ThrottleBackoff = 20 * time.Millisecond
		o.ThrottleRetries = 50
		o.Now, o.Sleep = clk.Now, clk.Sleep
	})
	r := sendload.Load{Workers: 32, PerWorker: 6}.Run(c)
	for _, err := range r.Errs {
		t.Errorf("Send: %v", err)
	}
	q := srv.Quota()
	if q.RateThrottles == 0 {
		t.Error("SES throttled nothing: the test did not exceed the rate")
	}
	if q.Messages != r.Attempted.Load() || r.Messages.Load() != r.Attempted.Load() {
		t.Errorf("SES accepted %d messages and the Client reported %d, of %d sent: messages were lost", q.Messages, r.Messages.Load(), r.Attempted.Load())
	}
	t.Logf("%d throttles absorbed in %v", q.RateThrottles, r.Elapsed)
}

// BenchmarkUtilisation runs 32 goroutines sending single- and
// multi-recipient mail through one Client for 10 s per iteration, against
// an emulator enforcing MaxSendRate 100, and reports the share of
// MaxSendRate used and the throttles SES answered. Run it with
// -benchtime=1x.
func BenchmarkUtilisation(b *testing.B) {
	const rate = 100
	for _, cfg := range []struct {
		name string
		opts func(*sesguard.Options)
	}{
		{"account-rate", func(o *sesguard.Options) { o.AccountQuota, o.SafetyFactor = true, 0.99 }},
		{"rate-too-high", func(o *sesguard.Options) { o.SendRate, o.ThrottleRetries = 3*rate, 50 }},
	} {
		b.Run(cfg.name, func(b *testing.B) {
			for b.Loop() {
				srv, api := sendload.Emulator(b, rate)
				c, err := sesguard.New(api, cfg.opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.RefreshQuota(context.Background()); err != nil {
					b.Fatal(err)
				}
				util, r := sendload.Steady(srv, rate, time.Second, func() *sendload.Result {
					return sendload.Load{Workers: 32, Duration: 10 * time.Second}.Run(c)
				})
				c.Close()
				b.ReportMetric(util, "%util")
				b.ReportMetric(float64(srv.Quota().RateThrottles), "throttles")
				b.ReportMetric(float64(len(r.Errs)), "lost")
			}
		})
	}
}
