package redislimiter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/sesguard/sesguard"
)

// ErrUnavailable: Redis could not be asked for tokens, and the limiter fails
// closed. The error is an *UnavailableError.
var ErrUnavailable = errors.New("redislimiter: Redis unavailable")

// UnavailableError reports that Redis could not be asked for tokens.
// errors.Is(err, ErrUnavailable) is true for it; Unwrap returns Redis's
// error.
type UnavailableError struct {
	Key string // the limiter's key
	Err error
}

// Error names the key and Redis's error, and says how to fail open.
func (e *UnavailableError) Error() string {
	return "redislimiter: Redis unavailable for key " + e.Key +
		" (failing closed; Options.FailOpen paces locally instead): " + e.Err.Error()
}

// Unwrap returns Redis's error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Is reports whether target is ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Options configure a Limiter. Every zero value is a documented default.
type Options struct {
	// Rate is the recipients per second shared by every process. A sesguard
	// Client with AccountQuota sets it from the account (the Limiter is a
	// sesguard.RateSetter). 0: 1, SES's lowest rate.
	Rate rate.Limit

	// Burst is the most tokens the bucket holds. 0: sesguard.BurstFor(Rate).
	Burst int

	// Prefix starts the Redis key, which goes on with the account and the
	// region. "": "sesguard:rate:".
	Prefix string

	// FailOpen paces locally when Redis is unreachable, instead of failing.
	FailOpen bool

	// Logger receives a warning when Redis fails. nil: logs are discarded.
	Logger *slog.Logger

	// Now, if set, is the clock the script uses, instead of Redis's own.
	// Every process sharing a key must then have the same clock; it is
	// for tests.
	Now func() time.Time

	// Sleep waits for d, or until ctx is done and then returns ctx.Err().
	// nil: a timer on the wall clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Limiter is a sesguard.Limiter whose tokens are kept in Redis, shared by
// every Limiter with the same key. It is safe for concurrent use by
// multiple goroutines.
type Limiter struct {
	rdb   redis.Scripter
	key   string
	opts  Options
	log   *slog.Logger
	sleep func(context.Context, time.Duration) error

	mu    sync.Mutex
	limit rate.Limit
	burst int
	local gcra // the fallback state when Redis fails and FailOpen is set
}

var (
	_ sesguard.Limiter    = (*Limiter)(nil)
	_ sesguard.RateSetter = (*Limiter)(nil)
)

// New returns a Limiter for the SES account (its 12-digit id, or any name
// the processes agree on) in region, kept in rdb: a *redis.Client,
// *redis.ClusterClient or *redis.Ring.
func New(rdb redis.Scripter, account, region string, optFns ...func(*Options)) (*Limiter, error) {
	if rdb == nil {
		return nil, errors.New("redislimiter: New: nil Redis client")
	}
	if account == "" || region == "" {
		return nil, errors.New("redislimiter: New: the account and the region name the shared key; both are needed")
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Rate < 0 || o.Burst < 0 {
		return nil, fmt.Errorf("redislimiter: New: negative Rate %v or Burst %d", o.Rate, o.Burst)
	}
	if o.Rate == 0 {
		o.Rate = 1
	}
	if o.Burst == 0 {
		o.Burst = sesguard.BurstFor(o.Rate)
	}
	if o.Prefix == "" {
		o.Prefix = "sesguard:rate:"
	}
	l := &Limiter{rdb: rdb, key: o.Prefix + account + ":" + region, opts: o, log: o.Logger,
		sleep: o.Sleep, limit: o.Rate, burst: o.Burst}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.sleep == nil {
		l.sleep = sleepCtx
	}
	return l, nil
}

// Key returns the Redis key the Limiter keeps its state in.
func (l *Limiter) Key() string { return l.key }

// Limit returns the rate in recipients per second.
func (l *Limiter) Limit() rate.Limit {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// Burst returns the most tokens the bucket holds.
func (l *Limiter) Burst() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.burst
}

// SetLimitAt sets the rate for the requests that follow; t is not needed,
// since the shared state is a point in time, not a count of tokens.
func (l *Limiter) SetLimitAt(_ time.Time, newLimit rate.Limit) {
	l.mu.Lock()
	l.limit = newLimit
	l.mu.Unlock()
}

// SetBurstAt sets the burst for the requests that follow.
func (l *Limiter) SetBurstAt(_ time.Time, newBurst int) {
	l.mu.Lock()
	l.burst = newBurst
	l.mu.Unlock()
}

// WaitN blocks until n tokens are taken, or fails at once, taking nothing,
// when the wait would pass ctx's deadline. n may exceed the burst. When
// Redis cannot be reached it returns an *UnavailableError, or, with
// Options.FailOpen, waits on the local fallback. When ctx ends while Redis
// has not answered (a stalled connection), WaitN returns ctx.Err() at once.
func (l *Limiter) WaitN(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	limit, burst := l.limit, l.burst
	l.mu.Unlock()
	if limit == rate.Inf {
		return nil
	}
	if !(limit > 0) || burst < 1 {
		return fmt.Errorf("redislimiter: rate %v with burst %d admits nothing", limit, burst)
	}
	interval := intervalOf(limit)
	now := time.Now
	if l.opts.Now != nil {
		now = l.opts.Now
	}
	maxWait := int64(-1) // microseconds; negative: no deadline
	if deadline, ok := ctx.Deadline(); ok {
		maxWait = max(0, deadline.Sub(now()).Microseconds())
	}
	ok, wait, err := l.reserve(ctx, interval, burst, n, maxWait)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		uerr := &UnavailableError{Key: l.key, Err: err}
		if !l.opts.FailOpen {
			return uerr
		}
		l.log.WarnContext(ctx, "redislimiter: Redis unavailable; pacing locally (FailOpen)", "key", l.key, "err", err)
		l.mu.Lock()
		ok, wait = l.local.reserve(now().UnixMicro(), interval, int64(burst), int64(n), maxWait)
		l.mu.Unlock()
	}
	if !ok {
		return fmt.Errorf("redislimiter: %d tokens must wait %v, past the context's deadline: %w", n, wait, context.DeadlineExceeded)
	}
	if wait <= 0 {
		return nil
	}
	return l.sleep(ctx, wait)
}

// intervalOf is the microseconds between tokens at r, rounded up so that
// the shared pace is never faster than r.
func intervalOf(r rate.Limit) int64 {
	return max(1, int64(math.Ceil(1e6/float64(r))))
}

// script is the GCRA: see gcra.reserve, which is the same algorithm in Go.
var script = redis.NewScript(`
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local maxwait = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local wait = tat - now - (burst - math.min(n, burst)) * interval
if wait < 0 then wait = 0 end
if maxwait >= 0 and wait > maxwait then return {0, wait} end
tat = tat + n * interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {1, wait}
`)

// reserve runs the script: it takes n tokens unless the wait for them is
// longer than maxWait microseconds (negative: no limit), and returns the
// wait. It returns ctx's error as soon as ctx is done, even when Redis has
// not answered: go-redis bounds a call by its own ReadTimeout, not by the
// context's deadline, unless the client was built with
// ContextTimeoutEnabled. The call left behind ends within that timeout; if
// Redis then runs the script, its tokens are taken unused, which can only
// slow the shared pace.
func (l *Limiter) reserve(ctx context.Context, interval int64, burst, n int, maxWait int64) (bool, time.Duration, error) {
	type reply struct {
		ok   bool
		wait time.Duration
		err  error
	}
	done := make(chan reply, 1)
	go func() {
		ok, wait, err := l.run(ctx, interval, burst, n, maxWait)
		done <- reply{ok, wait, err}
	}()
	select {
	case r := <-done:
		return r.ok, r.wait, r.err
	case <-ctx.Done():
		return false, 0, ctx.Err()
	}
}

// run runs the script on Redis and decodes its answer.
func (l *Limiter) run(ctx context.Context, interval int64, burst, n int, maxWait int64) (bool, time.Duration, error) {
	now := int64(-1)
	if l.opts.Now != nil {
		now = l.opts.Now().UnixMicro()
	}
	res, err := script.Run(ctx, l.rdb, []string{l.key},
		strconv.FormatInt(interval, 10), burst, n, strconv.FormatInt(maxWait, 10), strconv.FormatInt(now, 10)).Int64Slice()
	if err != nil {
		return false, 0, err
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redislimiter: the script answered %v", res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}

// gcra is the script's algorithm in process, for FailOpen: tat is the
// theoretical arrival time, in microseconds, when the bucket is full again.
type gcra struct{ tat int64 }

// reserve takes n tokens at now (microseconds) unless the wait for them is
// longer than maxWait (negative: no limit), and returns the wait: the time
// until the bucket holds min(n, burst) tokens.
func (g *gcra) reserve(now, interval, burst, n, maxWait int64) (bool, time.Duration) {
	tat := max(g.tat, now)
	wait := max(0, tat-now-(burst-min(n, burst))*interval)
	if maxWait >= 0 && wait > maxWait {
		return false, time.Duration(wait) * time.Microsecond
	}
	g.tat = tat + n*interval
	return true, time.Duration(wait) * time.Microsecond
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
