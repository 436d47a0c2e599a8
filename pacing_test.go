package sesguard_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/internal/sesstub"
	"github.com/sesguard/sesguard/sestest"
)

// The pacing tests run in a testing/synctest bubble: the Client, its
// limiter and the SES endpoint read the bubble's clock, which moves only
// when every goroutine waits, so the figures are exact and the same on a
// busy machine. The endpoint is called in process (sesstub.Client).

// endpoint is an SES account enforcing a rate, as the pacing tests see it.
type endpoint struct {
	api       *sesv2.Client
	throttles func() int
	accepted  func() int64 // recipients accepted so far
}

// bubbleSES is sestest at rate, for a bubble: the server is started by the
// caller outside the bubble (its listener would keep the bubble's clock
// still) and its rate bucket is reset here, on the bubble's clock.
func bubbleSES(t *testing.T, srv *sestest.Server, rate float64) endpoint {
	require.NoError(t, srv.UpdateAccount(func(a *sestest.Account) { a.MaxSendRate, a.Max24HourSend = rate, -1 }))
	return endpoint{
		api:       sesstub.Client(srv),
		throttles: func() int { return int(srv.Quota().RateThrottles) },
		accepted:  func() int64 { return srv.Quota().Recipients },
	}
}

func bubbleStub(stub *sesstub.Stub) endpoint {
	return endpoint{
		api:       sesstub.Client(stub),
		throttles: stub.Throttles,
		accepted:  func() int64 { return int64(stub.Accepted(time.Time{}, time.Now().Add(time.Hour))) },
	}
}

// idleSES is sestest started outside a bubble, at a rate the bubble resets.
func idleSES(t *testing.T) *sestest.Server {
	return sestest.RunT(t, func(o *sestest.Options) {
		o.Account = sestest.Account{MaxSendRate: 1, Max24HourSend: -1}
		o.Templates = map[string]sestest.Template{"t": {Subject: "Hello", Text: "Hi"}}
	})
}

// campaign has workers goroutines send through c until the bubble's clock
// reaches end: single- and multi-recipient mail, every fifth a bulk send.
// It returns the errors.
func campaign(c *sesguard.Client, workers int, end time.Time, ctx context.Context) []error {
	errs, _ := campaignCount(c, workers, end, ctx)
	return errs
}

// campaignCount is campaign, and also returns the messages SES accepted
// as SES counts them (each bulk entry a message).
func campaignCount(c *sesguard.Client, workers int, end time.Time, ctx context.Context) ([]error, int64) {
	sizes := []int{1, 2, 1, 3, 1, 5}
	var (
		mu   sync.Mutex
		errs []error
		msgs int64
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := 0; time.Now().Before(end); i++ {
				to := make([]string, sizes[(w+i)%len(sizes)])
				for k := range to {
					to[k] = fmt.Sprintf("w%dm%dr%d@example.com", w, i, k)
				}
				var err error
				n := int64(1)
				if i%5 == 4 {
					n = int64(len(to))
					_, err = c.SendBulkEmail(ctx, sendload.Bulk(to))
				} else {
					_, err = c.Send(ctx, simple(to...))
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					msgs += n
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs, msgs
}

// countAt returns a func that reports what accepted() read when the
// bubble's clock reached at.
func countAt(at time.Time, accepted func() int64) func() int64 {
	var n int64
	done := make(chan struct{})
	go func() {
		time.Sleep(time.Until(at))
		n = accepted()
		close(done)
	}()
	return func() int64 { <-done; return n }
}

// TestTheFullRateGoesUnthrottled: a Client with AccountQuota and nothing
// else uses at least 98% of MaxSendRate against both models of SES, and is
// never throttled.
func TestTheFullRateGoesUnthrottled(t *testing.T) {
	for _, rate := range []float64{14, 500} {
		for _, model := range []string{"sestest", "sesstub"} {
			t.Run(fmt.Sprintf("%s at %v a second", model, rate), func(t *testing.T) {
				var srv *sestest.Server
				if model == "sestest" {
					srv = idleSES(t)
				}
				synctest.Test(t, func(t *testing.T) {
					ep := bubbleStub(sesstub.New(rate, nil))
					if srv != nil {
						ep = bubbleSES(t, srv, rate)
					}
					c, err := sesguard.New(ep.api, func(o *sesguard.Options) { o.AccountQuota = true })
					require.NoError(t, err)
					defer c.Close()
					start := time.Now()
					// A minute at 14/s, where a 5-recipient message is 0.6% of
					// the count; 20 s at 500/s.
					warm, end := start.Add(2*time.Second), start.Add(time.Duration(max(20, 840/rate))*time.Second)
					atWarm, atEnd := countAt(warm, ep.accepted), countAt(end, ep.accepted)
					errs := campaign(c, 32, end, context.Background())
					assert.Empty(t, errs)
					assert.Zero(t, ep.throttles(), "throttles")
					util := float64(atEnd()-atWarm()) / (rate * end.Sub(warm).Seconds())
					t.Logf("utilisation %.2f%%", 100*util)
					assert.GreaterOrEqual(t, util, 0.98)
					assert.LessOrEqual(t, util, 1+1/end.Sub(warm).Seconds(), "more than the rate and its one-second burst")
				})
			})
		}
	}
}

// TestRecoveryAfterAThrottle: another sender on the account takes a
// second's worth of the rate at once, so SES throttles the Client; within
// 5 s the Client sends at 95% of the rate again.
func TestRecoveryAfterAThrottle(t *testing.T) {
	for _, rate := range []float64{14, 500} {
		t.Run(fmt.Sprintf("at %v a second", rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				stub := sesstub.New(rate, nil)
				c, err := sesguard.New(sesstub.Client(stub), func(o *sesguard.Options) { o.AccountQuota = true })
				require.NoError(t, err)
				defer c.Close()
				start := time.Now()
				hit := start.Add(5 * time.Second)
				go func() {
					time.Sleep(time.Until(hit))
					stub.Take(int(rate))
				}()
				// At 14/s a 5-recipient message is 1.4% of the 25 s after
				// recovery that are measured.
				end := start.Add(time.Duration(max(20, 490/rate)) * time.Second)
				assert.Empty(t, campaign(c, 32, end, context.Background()))
				require.NotZero(t, stub.Throttles(), "the other sender did not make SES throttle the Client")

				back, ok := stub.Recovered(hit, 0.95)
				require.True(t, ok, "never back at 95%% of the rate")
				t.Logf("%d throttles; back to 95%% of the rate %v after the other sender's burst", stub.Throttles(), back.Sub(hit))
				assert.LessOrEqual(t, back.Sub(hit), 5*time.Second)
				after := float64(stub.Accepted(hit.Add(5*time.Second), end)) / (rate * end.Sub(hit.Add(5*time.Second)).Seconds())
				assert.GreaterOrEqual(t, after, 0.95, "the rate after recovering")
			})
		})
	}
}

// TestPasswordResetsDuringACampaign: against sestest at 14/s, 32
// goroutines push a campaign at the full rate while one sends a password
// reset every second; every reset waits at most one token's interval
// (1/14 s, and 10 ms to spare), and the campaign keeps the rate at least
// 98% used.
func TestPasswordResetsDuringACampaign(t *testing.T) {
	const rate = 14
	srv := idleSES(t)
	synctest.Test(t, func(t *testing.T) {
		ep := bubbleSES(t, srv, rate)
		c, err := sesguard.New(ep.api, func(o *sesguard.Options) { o.AccountQuota = true })
		require.NoError(t, err)
		defer c.Close()
		start := time.Now()
		warm, end := start.Add(2*time.Second), start.Add(62*time.Second)
		atWarm, atEnd := countAt(warm, ep.accepted), countAt(end, ep.accepted)

		var waits []time.Duration
		resets := make(chan struct{})
		go func() {
			defer close(resets)
			// One reset a second, at a phase that moves across the
			// token interval.
			for i := range 60 {
				time.Sleep(time.Until(warm.Add(time.Duration(i)*time.Second + time.Duration(i)*7*time.Millisecond)))
				sent := time.Now()
				_, err := c.Send(context.Background(), simple(fmt.Sprintf("reset%d@example.com", i)))
				assert.NoError(t, err)
				waits = append(waits, time.Since(sent))
			}
		}()
		news := sesguard.ForList(context.Background(), "newsletter")
		assert.Empty(t, campaign(c, 32, end, news))
		<-resets

		slices.Sort(waits)
		p99 := waits[len(waits)*99/100]
		t.Logf("reset waits: median %v, p99 %v, max %v", waits[len(waits)/2], p99, waits[len(waits)-1])
		assert.LessOrEqual(t, p99, time.Second/rate+10*time.Millisecond)
		util := float64(atEnd()-atWarm()) / (rate * end.Sub(warm).Seconds())
		t.Logf("utilisation %.2f%%", 100*util)
		assert.GreaterOrEqual(t, util, 0.98)
		assert.Zero(t, ep.throttles())
	})
}

// TestThrottlesAreAbsorbedByRetries: a Client configured at ten times the
// account's rate is throttled, and every message still arrives once.
func TestThrottlesAreAbsorbedByRetries(t *testing.T) {
	const rate = 200
	srv := idleSES(t)
	synctest.Test(t, func(t *testing.T) {
		ep := bubbleSES(t, srv, rate)
		c, err := sesguard.New(ep.api, func(o *sesguard.Options) {
			o.SendRate = 10 * rate
			o.ThrottleRetries = 50
		})
		require.NoError(t, err)
		// Ten seconds of campaign at the account's rate, ten times too
		// fast at first.
		errs, msgs := campaignCount(c, 32, time.Now().Add(10*time.Second), context.Background())
		assert.Empty(t, errs)
		assert.NotZero(t, ep.throttles(), "SES throttled nothing: the test did not exceed the rate")
		q := srv.Quota()
		assert.Equal(t, msgs, q.Messages, "SES accepted every message the Client reported sent, once")
		t.Logf("%d throttles absorbed; %d recipients in %v", ep.throttles(), q.Recipients, 10*time.Second)
	})
}

// TestARateSetTooHighStillFillsTheAccount: a Client whose SendRate is three
// times the account's is throttled now and then, and still sends at 95% of
// the account's rate or more, losing nothing.
func TestARateSetTooHighStillFillsTheAccount(t *testing.T) {
	for _, rate := range []float64{14, 500} {
		t.Run(fmt.Sprintf("at %v a second", rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				stub := sesstub.New(rate, nil)
				c, err := sesguard.New(sesstub.Client(stub), func(o *sesguard.Options) {
					o.SendRate, o.ThrottleRetries = 3*rate, 50
				})
				require.NoError(t, err)
				start := time.Now()
				warm, end := start.Add(5*time.Second), start.Add(time.Duration(max(20, 840/rate))*time.Second)
				assert.Empty(t, campaign(c, 32, end, context.Background()))
				util := float64(stub.Accepted(warm, end)) / (rate * end.Sub(warm).Seconds())
				t.Logf("%d throttles; %.2f%% of the account's rate", stub.Throttles(), 100*util)
				assert.GreaterOrEqual(t, util, 0.95)
				assert.LessOrEqual(t, util, 1+1/end.Sub(warm).Seconds())
			})
		})
	}
}
