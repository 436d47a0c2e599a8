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

	bulk chan struct{} // the bulk turn: held by this process's bulk send that waits for tokens
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
		sleep: o.Sleep, limit: o.Rate, burst: o.Burst, bulk: make(chan struct{}, 1)}
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
// when the wait would pass ctx's deadline. n may exceed the burst. It
// serves the priority of ctx (sesguard.PriorityOf) as the package
// documentation says. When Redis cannot be reached it returns an
// *UnavailableError, or, with Options.FailOpen, waits on the local
// fallback. When ctx ends while Redis has not answered (a stalled
// connection), WaitN returns ctx.Err() at once.
func (l *Limiter) WaitN(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	bulk := sesguard.PriorityOf(ctx) == sesguard.PriorityBulk
	if bulk {
		select {
		case l.bulk <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-l.bulk }()
	}
	for {
		taken, wait, err := l.take(ctx, n, bulk)
		if err != nil {
			return err
		}
		if wait > 0 {
			if err := l.sleep(ctx, wait); err != nil {
				return err
			}
		}
		if taken {
			return nil
		}
	}
}

// take asks for n tokens once. A transactional request takes them and
// returns the wait until they may be used; a bulk one takes them only if
// they may be used now, and otherwise returns the wait before asking again.
func (l *Limiter) take(ctx context.Context, n int, bulk bool) (taken bool, wait time.Duration, err error) {
	l.mu.Lock()
	limit, burst := l.limit, l.burst
	l.mu.Unlock()
	if limit == rate.Inf {
		return true, 0, nil
	}
	if !(limit > 0) || burst < 1 {
		return false, 0, fmt.Errorf("redislimiter: rate %v with burst %d admits nothing", limit, burst)
	}
	q := request{interval: intervalOf(limit), burst: int64(burst), n: int64(n), maxWait: -1}
	if bulk {
		q.bulk, q.keep = 1, int64(sesguard.TransactionalReserve(burst))
	}
	now := time.Now
	if l.opts.Now != nil {
		now = l.opts.Now
	}
	if deadline, ok := ctx.Deadline(); ok {
		q.maxWait = max(0, deadline.Sub(now()).Microseconds())
	}
	status, wait, err := l.reserve(ctx, q)
	if err != nil {
		if ctx.Err() != nil {
			return false, 0, ctx.Err()
		}
		uerr := &UnavailableError{Key: l.key, Err: err}
		if !l.opts.FailOpen {
			return false, 0, uerr
		}
		l.log.WarnContext(ctx, "redislimiter: Redis unavailable; pacing locally (FailOpen)", "key", l.key, "err", err)
		l.mu.Lock()
		status, wait = l.local.reserve(now().UnixMicro(), q)
		l.mu.Unlock()
	}
	switch status {
	case refused:
		what := "tokens"
		if bulk {
			what = "bulk tokens"
		}
		return false, 0, fmt.Errorf("redislimiter: %d %s must wait %v, past the context's deadline: %w", n, what, wait, context.DeadlineExceeded)
	case later:
		return false, wait, nil
	}
	return true, wait, nil
}

// request is one ask for tokens: n of them at interval microseconds each,
// from a bucket of burst, waiting at most maxWait microseconds (negative:
// no limit). A bulk request (bulk 1) must leave keep tokens in the bucket,
// and takes nothing unless it may go now.
type request struct {
	interval, burst, n, maxWait, bulk, keep int64
}

// The answers of the script and of gcra.reserve.
const (
	refused = 0 // nothing taken: the wait passes maxWait
	granted = 1 // taken; go after the wait
	later   = 2 // a bulk request: nothing taken; ask again after the wait
)

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
local bulk = tonumber(ARGV[6])
local keep = tonumber(ARGV[7])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
local room = burst - keep
local wait = tat - now - (room - math.min(n, room)) * interval
if wait < 0 then wait = 0 end
if maxwait >= 0 and wait > maxwait then return {0, wait} end
if bulk == 1 and wait > 0 then return {2, wait} end
tat = tat + n * interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {1, wait}
`)

// reserve runs the script for q, and returns its answer and the wait. It
// returns ctx's error as soon as ctx is done, even when Redis has not
// answered: go-redis bounds a call by its own ReadTimeout, not by the
// context's deadline, unless the client was built with
// ContextTimeoutEnabled. The call left behind ends within that timeout; if
// Redis then runs the script, its tokens are taken unused, which can only
// slow the shared pace.
func (l *Limiter) reserve(ctx context.Context, q request) (int, time.Duration, error) {
	type reply struct {
		status int
		wait   time.Duration
		err    error
	}
	done := make(chan reply, 1)
	go func() {
		status, wait, err := l.run(ctx, q)
		done <- reply{status, wait, err}
	}()
	select {
	case r := <-done:
		return r.status, r.wait, r.err
	case <-ctx.Done():
		return refused, 0, ctx.Err()
	}
}

// run runs the script on Redis and decodes its answer.
func (l *Limiter) run(ctx context.Context, q request) (int, time.Duration, error) {
	now := int64(-1)
	if l.opts.Now != nil {
		now = l.opts.Now().UnixMicro()
	}
	res, err := script.Run(ctx, l.rdb, []string{l.key},
		strconv.FormatInt(q.interval, 10), q.burst, q.n, strconv.FormatInt(q.maxWait, 10), strconv.FormatInt(now, 10), q.bulk, q.keep).Int64Slice()
	if err != nil {
		return refused, 0, err
	}
	if len(res) != 2 || res[0] < refused || res[0] > later {
		return refused, 0, fmt.Errorf("redislimiter: the script answered %v", res)
	}
	return int(res[0]), time.Duration(res[1]) * time.Microsecond, nil
}

// gcra is the script's algorithm in process, for FailOpen: tat is the
// theoretical arrival time, in microseconds, when the bucket is full again.
type gcra struct{ tat int64 }

// reserve answers q at now (microseconds). The wait is the time until the
// bucket holds min(n, room) tokens on top of the keep, where room is what
// the keep leaves of the burst. A request whose wait passes maxWait is
// refused; a bulk request that would have to wait takes nothing
// and is told to ask again later; any other takes n tokens, leaving the
// bucket in debt for a message larger than the burst.
func (g *gcra) reserve(now int64, q request) (int, time.Duration) {
	tat := max(g.tat, now)
	room := q.burst - q.keep
	wait := max(0, tat-now-(room-min(q.n, room))*q.interval)
	d := time.Duration(wait) * time.Microsecond
	switch {
	case q.maxWait >= 0 && wait > q.maxWait:
		return refused, d
	case q.bulk == 1 && wait > 0:
		return later, d
	}
	g.tat = tat + q.n*q.interval
	return granted, d
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
