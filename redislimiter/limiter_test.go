package redislimiter_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/sesguard/sesguard/redislimiter"
)

var ctx = context.Background()

// quiet keeps go-redis from logging the refused dials that the tests of an
// unreachable Redis make on purpose.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}

// redisClient connects to SESGUARD_REDIS_ADDR, or skips the test.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("SESGUARD_REDIS_ADDR")
	if addr == "" {
		t.Skip("SESGUARD_REDIS_ADDR is not set: skipping a test that needs Redis (e.g. SESGUARD_REDIS_ADDR=127.0.0.1:6379)")
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at %s: %v", addr, err)
	}
	return rdb
}

// prefix returns a key prefix of the test's own and deletes its keys when
// the test ends.
func prefix(t *testing.T, rdb *redis.Client) string {
	p := fmt.Sprintf("sesguard-test:%s:%d:", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() {
		keys, _ := rdb.Keys(ctx, p+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return p
}

// deadRedis is a client for a port where nothing listens.
func deadRedis(t *testing.T) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// clock is a test clock whose Sleep moves it forward and records the wait.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

func (c *clock) taken() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.waits
	c.waits = nil
	return w
}

func onClock(clk *clock, p string, more ...func(*redislimiter.Options)) func(*redislimiter.Options) {
	return func(o *redislimiter.Options) {
		o.Rate, o.Prefix, o.Now, o.Sleep = 10, p, clk.Now, clk.Sleep
		for _, fn := range more {
			fn(o)
		}
	}
}

// script is what TestPace runs on both the Redis script and the local
// fallback: at 10/s with a burst of 5.
var script = []struct {
	name     string
	advance  time.Duration
	n        int
	deadline time.Duration // 0: none
	wait     time.Duration // -1: refused for the deadline
}{
	{"within the burst", 0, 5, 0, 0},
	{"past the burst", 0, 1, 0, 100 * time.Millisecond},
	{"more than the burst, when the bucket is full", 0, 12, 0, 500 * time.Millisecond},
	{"in debt, past the deadline: refused", 0, 1, 50 * time.Millisecond, -1},
	{"the refused request took nothing", 800 * time.Millisecond, 1, 0, 0},
	{"one token later", 0, 1, time.Second, 100 * time.Millisecond},
}

func runScript(t *testing.T, lim *redislimiter.Limiter, clk *clock) {
	for _, s := range script {
		clk.Advance(s.advance)
		sctx := ctx
		if s.deadline > 0 {
			var cancel context.CancelFunc
			sctx, cancel = context.WithDeadline(ctx, clk.Now().Add(s.deadline))
			defer cancel()
		}
		err := lim.WaitN(sctx, s.n)
		waits := clk.taken()
		if s.wait < 0 {
			if !errors.Is(err, context.DeadlineExceeded) || len(waits) != 0 {
				t.Errorf("%s: %v after waiting %v, want DeadlineExceeded at once", s.name, err, waits)
			}
			continue
		}
		want := []time.Duration{s.wait}
		if s.wait == 0 {
			want = nil
		}
		if err != nil || !slices.Equal(waits, want) {
			t.Errorf("%s: %v, waited %v, want %v", s.name, err, waits, want)
		}
	}
}

func TestPace(t *testing.T) {
	t.Run("Redis", func(t *testing.T) {
		rdb := redisClient(t)
		clk := &clock{t: time.Now()}
		lim, err := redislimiter.New(rdb, "123456789012", "us-east-1", onClock(clk, prefix(t, rdb)))
		if err != nil {
			t.Fatal(err)
		}
		runScript(t, lim, clk)
	})
	t.Run("local fallback", func(t *testing.T) {
		clk := &clock{t: time.Now()}
		lim, err := redislimiter.New(deadRedis(t), "123456789012", "us-east-1",
			onClock(clk, "x:", func(o *redislimiter.Options) { o.FailOpen = true }))
		if err != nil {
			t.Fatal(err)
		}
		runScript(t, lim, clk)
	})
}

func TestLimitersOnOneKeyShareTheRate(t *testing.T) {
	rdb := redisClient(t)
	clk := &clock{t: time.Now()}
	p := prefix(t, rdb)
	a, _ := redislimiter.New(rdb, "acct", "eu-west-1", onClock(clk, p))
	b, _ := redislimiter.New(rdb, "acct", "eu-west-1", onClock(clk, p))
	other, _ := redislimiter.New(rdb, "acct", "us-east-1", onClock(clk, p))
	if a.Key() != p+"acct:eu-west-1" {
		t.Errorf("key %q", a.Key())
	}
	for _, step := range []struct {
		lim  *redislimiter.Limiter
		n    int
		wait time.Duration
	}{{a, 5, 0}, {b, 1, 100 * time.Millisecond}, {other, 5, 0}, {a, 2, 200 * time.Millisecond}} {
		if err := step.lim.WaitN(ctx, step.n); err != nil {
			t.Fatal(err)
		}
		if w := clk.taken(); step.wait > 0 && !slices.Equal(w, []time.Duration{step.wait}) || step.wait == 0 && len(w) > 0 {
			t.Errorf("%s took %d: waited %v, want %v", step.lim.Key(), step.n, w, step.wait)
		}
	}
}

func TestSetLimit(t *testing.T) {
	rdb := redisClient(t)
	clk := &clock{t: time.Now()}
	lim, _ := redislimiter.New(rdb, "acct", "us-east-1", onClock(clk, prefix(t, rdb)))
	lim.SetLimitAt(clk.Now(), 40)
	lim.SetBurstAt(clk.Now(), 2)
	if lim.Limit() != 40 || lim.Burst() != 2 {
		t.Fatalf("limit %v burst %d after SetLimitAt and SetBurstAt", lim.Limit(), lim.Burst())
	}
	for range 3 {
		if err := lim.WaitN(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	if w := clk.taken(); !slices.Equal(w, []time.Duration{25 * time.Millisecond}) {
		t.Errorf("waits %v at 40/s with a burst of 2, want [25ms]", w)
	}
	lim.SetLimitAt(clk.Now(), rate.Inf)
	if err := lim.WaitN(ctx, 1000); err != nil || len(clk.taken()) != 0 {
		t.Errorf("an infinite rate waited or failed: %v", err)
	}
	lim.SetLimitAt(clk.Now(), 0)
	if err := lim.WaitN(ctx, 1); err == nil {
		t.Error("a zero rate admitted a token")
	}
}

func TestUnreachableRedis(t *testing.T) {
	t.Run("fails closed by default", func(t *testing.T) {
		lim, err := redislimiter.New(deadRedis(t), "acct", "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		err = lim.WaitN(ctx, 1)
		var u *redislimiter.UnavailableError
		if !errors.As(err, &u) || !errors.Is(err, redislimiter.ErrUnavailable) || u.Key != "sesguard:rate:acct:us-east-1" {
			t.Fatalf("WaitN: %v, want an *UnavailableError for the key", err)
		}
		if !strings.Contains(err.Error(), "FailOpen") {
			t.Errorf("the error %q does not say how to fail open", err)
		}
	})
	t.Run("a cancelled context is not an outage", func(t *testing.T) {
		lim, _ := redislimiter.New(deadRedis(t), "acct", "us-east-1")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := lim.WaitN(cctx, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("WaitN: %v, want Canceled", err)
		}
	})
}

func TestNewRefusesBadArguments(t *testing.T) {
	rdb := deadRedis(t)
	for name, fn := range map[string]func() (*redislimiter.Limiter, error){
		"nil client": func() (*redislimiter.Limiter, error) { return redislimiter.New(nil, "a", "r") },
		"no account": func() (*redislimiter.Limiter, error) { return redislimiter.New(rdb, "", "r") },
		"no region":  func() (*redislimiter.Limiter, error) { return redislimiter.New(rdb, "a", "") },
		"negative rate": func() (*redislimiter.Limiter, error) {
			return redislimiter.New(rdb, "a", "r", func(o *redislimiter.Options) { o.Rate = -1 })
		},
	} {
		if _, err := fn(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
