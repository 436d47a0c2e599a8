package sesguard_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/redis/go-redis/v9"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/redislimiter"
	"github.com/sesguard/sesguard/sestest"
)

// redisForTest connects to SESGUARD_REDIS_ADDR, or skips.
func redisForTest(tb testing.TB) *redis.Client {
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
		lim, err := redislimiter.New(redisForTest(tb), account, "us-east-1", func(o *redislimiter.Options) { o.Prefix = "sesguard-test:" })
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
	rdb := redisForTest(tb)
	tb.Cleanup(func() { rdb.Del(context.Background(), "sesguard-test:"+account+":us-east-1") })
	return cs
}

// load is a run of many goroutines sending through one or more Clients to
// one emulator that enforces MaxSendRate per recipient.
type load struct {
	workers   int           // goroutines per Client
	duration  time.Duration // how long they send; 0: until each sent perWorker messages
	perWorker int
}

// loadResult is what a load run sent.
type loadResult struct {
	attempted            atomic.Int64 // messages tried
	messages, recipients atomic.Int64 // messages SES accepted, and their recipients
	mu                   sync.Mutex
	errs                 []error
	elapsed              time.Duration
}

// sizes is the recipient count of each worker's messages in turn: single-
// and multi-recipient mail. Every fifth is a bulk send with one entry per
// recipient.
var sizes = []int{1, 2, 1, 3, 1, 5}

// bulkOf is a bulk send of the emulator's template "t" with one entry per
// address of to.
func bulkOf(to []string) *sesv2.SendBulkEmailInput {
	in := &sesv2.SendBulkEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		DefaultContent: &types.BulkEmailContent{Template: &types.Template{
			TemplateName: aws.String("t"), TemplateData: aws.String("{}"),
		}},
	}
	for _, a := range to {
		in.BulkEmailEntries = append(in.BulkEmailEntries, types.BulkEmailEntry{Destination: &types.Destination{ToAddresses: []string{a}}})
	}
	return in
}

func (l load) run(clients ...*sesguard.Client) *loadResult {
	r := &loadResult{}
	start := time.Now()
	var wg sync.WaitGroup
	for ci, c := range clients {
		for w := range l.workers {
			wg.Go(func() {
				for i := 0; ; i++ {
					if l.duration > 0 && time.Since(start) >= l.duration || l.duration == 0 && i >= l.perWorker {
						return
					}
					n := sizes[(w+i)%len(sizes)]
					to := make([]string, n)
					for k := range to {
						to[k] = fmt.Sprintf("c%dw%dm%dr%d@example.com", ci, w, i, k)
					}
					var err error
					msgs := int64(1)
					if i%5 == 4 {
						msgs = int64(n) // SES counts each entry as a message
						_, err = c.SendBulkEmail(context.Background(), bulkOf(to))
					} else {
						_, err = c.Send(context.Background(), simple(to...))
					}
					r.attempted.Add(msgs)
					if err != nil {
						r.mu.Lock()
						r.errs = append(r.errs, err)
						r.mu.Unlock()
						continue
					}
					r.messages.Add(msgs)
					r.recipients.Add(int64(n))
				}
			})
		}
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}

// emulator starts sestest at rate recipients per second, and returns it
// with an SDK client for it.
func emulator(tb testing.TB, rate float64, optFns ...func(*sestest.Options)) (*sestest.Server, *sesv2.Client) {
	srv := sestest.RunT(tb, append([]func(*sestest.Options){func(o *sestest.Options) {
		o.Account = sestest.Account{MaxSendRate: rate, Max24HourSend: -1}
		o.Templates = map[string]sestest.Template{"t": {Subject: "Hello", Text: "Hi"}}
	}}, optFns...)...)
	// One connection per request: a connection the SDK's pool dialed but
	// never used would hold up the server's graceful shutdown for seconds.
	api := srv.Client(func(o *sesv2.Options) {
		o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	})
	return srv, api
}

func TestPacedSendsAreNotThrottled(t *testing.T) {
	srv, api := emulator(t, 300)
	c := newClient(t, api, func(o *sesguard.Options) { o.AccountQuota = true })
	closeClient(t, c)
	r := load{workers: 32, duration: 1500 * time.Millisecond}.run(c)
	for _, err := range r.errs {
		t.Errorf("Send: %v", err)
	}
	q := srv.Quota()
	if q.RateThrottles != 0 {
		t.Errorf("SES throttled %d requests, want none", q.RateThrottles)
	}
	if q.Recipients != r.recipients.Load() || q.Messages != r.messages.Load() {
		t.Errorf("SES accepted %d messages to %d recipients; the Clients sent %d to %d", q.Messages, q.Recipients, r.messages.Load(), r.recipients.Load())
	}
}

func TestThrottlesAreAbsorbedByRetries(t *testing.T) {
	srv, api := emulator(t, 200)
	c := newClient(t, api, func(o *sesguard.Options) {
		// Ten times what SES allows: the Client's first burst alone is
		// five times SES's.
		o.SendRate = 2000
		o.ThrottleBackoff = 20 * time.Millisecond
		o.ThrottleRetries = 50
	})
	r := load{workers: 32, perWorker: 6}.run(c)
	for _, err := range r.errs {
		t.Errorf("Send: %v", err)
	}
	q := srv.Quota()
	if q.RateThrottles == 0 {
		t.Error("SES throttled nothing: the test did not exceed the rate")
	}
	if q.Messages != r.attempted.Load() || r.messages.Load() != r.attempted.Load() {
		t.Errorf("SES accepted %d messages and the Client reported %d, of %d sent: messages were lost", q.Messages, r.messages.Load(), r.attempted.Load())
	}
	t.Logf("%d throttles absorbed in %v", q.RateThrottles, r.elapsed)
}

func TestSharedRedisLimiterKeepsFourClientsUnderTheRate(t *testing.T) {
	srv, api := emulator(t, 300)
	clients := sharedClients(t, api, 4, 0) // the default safety factor
	r := load{workers: 8, duration: 1500 * time.Millisecond}.run(clients...)
	for _, err := range r.errs {
		t.Errorf("Send: %v", err)
	}
	q := srv.Quota()
	if q.RateThrottles != 0 {
		t.Errorf("SES throttled %d requests, want none", q.RateThrottles)
	}
	if q.Recipients != r.recipients.Load() || q.Messages != r.messages.Load() {
		t.Errorf("SES accepted %d messages to %d recipients; the Clients sent %d to %d", q.Messages, q.Recipients, r.messages.Load(), r.recipients.Load())
	}
}

// steady measures the share of rate that SES accepted between warm-up and
// the end of run, leaving out the bucket SES starts with.
func steady(srv *sestest.Server, rate float64, warmup time.Duration, run func() *loadResult) (util float64, r *loadResult) {
	type mark struct {
		at time.Time
		n  int64
	}
	warm := make(chan mark, 1)
	time.AfterFunc(warmup, func() { warm <- mark{time.Now(), srv.Quota().Recipients} })
	r = run()
	end := mark{time.Now(), srv.Quota().Recipients}
	w := <-warm
	return 100 * float64(end.n-w.n) / (rate * end.at.Sub(w.at).Seconds()), r
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
				srv, api := emulator(b, rate)
				c, err := sesguard.New(api, cfg.opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.RefreshQuota(context.Background()); err != nil {
					b.Fatal(err)
				}
				util, r := steady(srv, rate, time.Second, func() *loadResult {
					return load{workers: 32, duration: 10 * time.Second}.run(c)
				})
				c.Close()
				b.ReportMetric(util, "%util")
				b.ReportMetric(float64(srv.Quota().RateThrottles), "throttles")
				b.ReportMetric(float64(len(r.errs)), "lost")
			}
		})
	}
}

// BenchmarkSharedUtilisation is BenchmarkUtilisation for 4 Clients, 8
// goroutines each, sharing one redislimiter.Limiter key. It needs
// SESGUARD_REDIS_ADDR.
func BenchmarkSharedUtilisation(b *testing.B) {
	const rate = 100
	for b.Loop() {
		srv, api := emulator(b, rate)
		clients := sharedClients(b, api, 4, 0.99)
		util, r := steady(srv, rate, time.Second, func() *loadResult {
			return load{workers: 8, duration: 10 * time.Second}.run(clients...)
		})
		b.ReportMetric(util, "%util")
		b.ReportMetric(float64(srv.Quota().RateThrottles), "throttles")
		b.ReportMetric(float64(len(r.errs)), "lost")
	}
}
