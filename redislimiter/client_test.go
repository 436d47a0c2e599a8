package redislimiter_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
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
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("Redis at %s: %v", addr, err)
	}
	return rdb
}

// sharedClients returns n Clients for api, each with its own Redis
// connection and its own redislimiter.Limiter on one key, as n processes
// would have, taking the rate from the account scaled by safety.
func sharedClients(tb testing.TB, api sesguard.SESv2API, n int, safety float64) []*sesguard.Client {
	tb.Helper()
	account := fmt.Sprintf("test-%s-%d", tb.Name(), time.Now().UnixNano())
	var cs []*sesguard.Client
	for range n {
		lim, err := redislimiter.New(redisForLoad(tb), account, "us-east-1", func(o *redislimiter.Options) { o.Prefix = "sesguard-test:" })
		if err != nil {
			tb.Fatal(err)
		}
		c, err := sesguard.New(api, func(o *sesguard.Options) {
			o.Limiter, o.AccountQuota, o.SafetyFactor = lim, true, safety
		})
		if err != nil {
			tb.Fatal(err)
		}
		if err := c.RefreshQuota(context.Background()); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	rdb := redisForLoad(tb)
	tb.Cleanup(func() { rdb.Del(context.Background(), "sesguard-test:"+account+":us-east-1") })
	return cs
}

func TestSharedRedisLimiterKeepsFourClientsUnderTheRate(t *testing.T) {
	srv, api := sendload.Emulator(t, 300)
	clients := sharedClients(t, api, 4, 0) // the default safety factor
	r := sendload.Load{Workers: 8, Duration: 1500 * time.Millisecond}.Run(clients...)
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

// BenchmarkSharedUtilisation runs 4 Clients, 8 goroutines each, sharing one
// redislimiter.Limiter key, for 10 s per iteration against an emulator
// enforcing MaxSendRate 100, and reports the share of MaxSendRate used and
// the throttles SES answered. It needs SESGUARD_REDIS_ADDR; run it with
// -benchtime=1x.
func BenchmarkSharedUtilisation(b *testing.B) {
	const rate = 100
	for b.Loop() {
		srv, api := sendload.Emulator(b, rate)
		clients := sharedClients(b, api, 4, 0.99)
		util, r := sendload.Steady(srv, rate, time.Second, func() *sendload.Result {
			return sendload.Load{Workers: 8, Duration: 10 * time.Second}.Run(clients...)
		})
		b.ReportMetric(util, "%util")
		b.ReportMetric(float64(srv.Quota().RateThrottles), "throttles")
		b.ReportMetric(float64(len(r.Errs)), "lost")
	}
}
