package redislimiter_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/internal/sesstub"
	"github.com/sesguard/sesguard/redislimiter"
)

// redisForLoad connects to SESGUARD_REDIS_ADDR, or skips.
func redisForLoad(tb testing.TB) *redis.Client {
	tb.Helper()
	addr := os.Getenv("SESGUARD_REDIS_ADDR")
	if addr == "" {
		tb.Skip("SESGUARD_REDIS_ADDR is not set: skipping the shared Redis limiter (e.g. SESGUARD_REDIS_ADDR=127.0.0.1:6379)")
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	tb.Cleanup(func() { rdb.Close() })
	require.NoError(tb, rdb.Ping(context.Background()).Err(), "Redis at %s", addr)
	return rdb
}

// sharedClients returns a Client for api per Redis connection of rdbs, each
// with its own redislimiter.Limiter on one key, as that many processes
// would have, taking the rate from the account. limOpts are applied to
// every Limiter.
func sharedClients(tb testing.TB, api sesguard.SESv2API, rdbs []*redis.Client, limOpts ...func(*redislimiter.Options)) []*sesguard.Client {
	tb.Helper()
	account := fmt.Sprintf("test-%s-%d", tb.Name(), time.Now().UnixNano())
	var cs []*sesguard.Client
	for _, rdb := range rdbs {
		lim, err := redislimiter.New(rdb, account, "us-east-1", append([]func(*redislimiter.Options){
			func(o *redislimiter.Options) { o.Prefix = "sesguard-test:" }}, limOpts...)...)
		require.NoError(tb, err)
		c, err := sesguard.New(api, func(o *sesguard.Options) { o.Limiter, o.AccountQuota = lim, true })
		require.NoError(tb, err)
		cs = append(cs, c)
	}
	tb.Cleanup(func() { rdbs[0].Del(context.Background(), "sesguard-test:"+account+":us-east-1") })
	return cs
}

// processes returns n Redis connections, made outside any synctest
// bubble.
func processes(tb testing.TB, n int) []*redis.Client {
	rdbs := make([]*redis.Client, n)
	for i := range rdbs {
		rdbs[i] = redisForLoad(tb)
	}
	return rdbs
}

// onBubbleClock makes the Limiters read the synctest bubble's clock
// instead of Redis's.
func onBubbleClock(o *redislimiter.Options) { o.Now = time.Now }

// The tests below run in a testing/synctest bubble against sesstub in
// process: the Clients, the Limiters' scripts and the stub read the
// bubble's clock, which stands still while Redis answers, so their figures
// do not depend on the machine's speed.

// TestSharedLimiterKeepsFourClientsAtTheRate: four Clients, eight
// goroutines each, one Limiter key: together at least 98% of MaxSendRate,
// never throttled.
func TestSharedLimiterKeepsFourClientsAtTheRate(t *testing.T) {
	rdbs := processes(t, 4)
	synctest.Test(t, func(t *testing.T) {
		const rate = 100
		stub := sesstub.New(rate, nil)
		clients := sharedClients(t, sesstub.Client(stub), rdbs, onBubbleClock)
		start := time.Now()
		r := sendload.Load{Workers: 8, Duration: 20 * time.Second}.Run(clients...)
		for _, c := range clients {
			require.NoError(t, c.Close())
		}
		assert.Empty(t, r.Errs)
		assert.Zero(t, stub.Throttles())
		warm, end := start.Add(time.Second), start.Add(20*time.Second)
		util := float64(stub.Accepted(warm, end)) / (rate * end.Sub(warm).Seconds())
		t.Logf("utilisation %.2f%%", 100*util)
		assert.GreaterOrEqual(t, util, 0.98)
	})
}

// TestPasswordResetsDuringASharedCampaign: four processes push a bulk
// campaign through one Limiter key at 14/s while one of them sends a
// password reset every second; every reset waits at most one token's
// interval, and the campaign keeps 98% of the rate used.
func TestPasswordResetsDuringASharedCampaign(t *testing.T) {
	rdbs := processes(t, 4)
	synctest.Test(t, func(t *testing.T) {
		const rate = 14
		stub := sesstub.New(rate, nil)
		clients := sharedClients(t, sesstub.Client(stub), rdbs, onBubbleClock)
		start := time.Now()
		warm, end := start.Add(2*time.Second), start.Add(42*time.Second)

		var waits []time.Duration
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range 40 {
				time.Sleep(time.Until(warm.Add(time.Duration(i)*time.Second + time.Duration(i)*7*time.Millisecond)))
				sent := time.Now()
				_, err := clients[1].Send(context.Background(), sendload.Simple(fmt.Sprintf("reset%d@example.com", i)))
				assert.NoError(t, err)
				waits = append(waits, time.Since(sent))
			}
		})
		news := sesguard.ForList(context.Background(), "newsletter")
		for ci, c := range clients {
			for w := range 8 {
				wg.Go(func() {
					for i := 0; time.Now().Before(end); i++ {
						_, err := c.Send(news, sendload.Simple(fmt.Sprintf("c%dw%dm%d@example.com", ci, w, i)))
						assert.NoError(t, err)
					}
				})
			}
		}
		wg.Wait()
		for _, c := range clients {
			require.NoError(t, c.Close())
		}

		slices.Sort(waits)
		p99 := waits[len(waits)*99/100]
		t.Logf("reset waits: median %v, p99 %v, max %v", waits[len(waits)/2], p99, waits[len(waits)-1])
		assert.LessOrEqual(t, p99, time.Second/rate+10*time.Millisecond)
		util := float64(stub.Accepted(warm, end)) / (rate * end.Sub(warm).Seconds())
		t.Logf("utilisation %.2f%%", 100*util)
		assert.GreaterOrEqual(t, util, 0.98)
		assert.Zero(t, stub.Throttles())
	})
}

// TestSharedLimiterRecoversAfterAThrottle: another sender takes a
// second's worth of the rate at once, and SES throttles the four Clients;
// within 5 s they send at 95% of the rate again.
func TestSharedLimiterRecoversAfterAThrottle(t *testing.T) {
	for _, rate := range []float64{14, 500} {
		t.Run(fmt.Sprintf("at %v a second", rate), func(t *testing.T) {
			rdbs := processes(t, 4)
			synctest.Test(t, func(t *testing.T) {
				stub := sesstub.New(rate, nil)
				clients := sharedClients(t, sesstub.Client(stub), rdbs, onBubbleClock)
				start := time.Now()
				hit := start.Add(5 * time.Second)
				go func() {
					time.Sleep(time.Until(hit))
					stub.Take(int(rate))
				}()
				r := sendload.Load{Workers: 8, Duration: 30 * time.Second}.Run(clients...)
				for _, c := range clients {
					require.NoError(t, c.Close())
				}
				assert.Empty(t, r.Errs)
				require.NotZero(t, stub.Throttles(), "the other sender did not make SES throttle the Clients")
				back, ok := stub.Recovered(hit, 0.95)
				require.True(t, ok, "never back at 95%% of the rate")
				t.Logf("%d throttles; back to 95%% of the rate %v after the other sender's burst", stub.Throttles(), back.Sub(hit))
				assert.LessOrEqual(t, back.Sub(hit), 5*time.Second)
			})
		})
	}
}

// BenchmarkSharedUtilisation runs 4 Clients, 8 goroutines each, sharing one
// redislimiter.Limiter key (on Redis's clock), for 10 s per iteration
// against sestest over loopback enforcing MaxSendRate 100, and reports the
// share of MaxSendRate used and the throttles SES answered. It needs
// SESGUARD_REDIS_ADDR; run it with -benchtime=1x.
func BenchmarkSharedUtilisation(b *testing.B) {
	const rate = 100
	for b.Loop() {
		srv, api := sendload.Emulator(b, rate)
		clients := sharedClients(b, api, processes(b, 4))
		util, r := sendload.Steady(srv, rate, time.Second, func() *sendload.Result {
			return sendload.Load{Workers: 8, Duration: 10 * time.Second}.Run(clients...)
		})
		for _, c := range clients {
			c.Close()
		}
		b.ReportMetric(util, "%util")
		b.ReportMetric(float64(srv.Quota().RateThrottles), "throttles")
		b.ReportMetric(float64(len(r.Errs)), "lost")
	}
}
