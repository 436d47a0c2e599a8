package sesguard

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// A Limiter paces sends. SES counts its per-second rate in recipients, so
// the Client calls WaitN once per send with one token per recipient (for
// SendBulkEmail, the recipients of every entry sent), after screening and
// before calling SES, and again before each retry of a throttled send.
//
// The contract:
//
//   - WaitN blocks until n tokens are taken or ctx is done, and returns an
//     error when it cannot wait; it fails at once, taking nothing, when the
//     wait would pass ctx's deadline.
//   - n may be larger than any burst the Limiter has: SES takes 50-recipient
//     messages from accounts limited to 14 a second, so a Limiter lets such a
//     message go when its bucket is full and stays in debt for the rest.
//   - It honours the send's [Priority], read with [PriorityOf](ctx):
//     transactional sends are served before bulk ones, and bulk sends leave
//     [TransactionalReserve] tokens of the bucket for transactional mail. A
//     Limiter that ignores priorities still paces, but no longer keeps
//     transactional mail ahead of a campaign.
//   - It is safe for concurrent use.
//
// [*RateLimiter] (the Client's own, made with [AdaptRate] from a
// golang.org/x/time/rate.Limiter) and redislimiter.Limiter keep this
// contract. A *rate.Limiter does not — its WaitN refuses n above its burst
// and knows no priorities — so New adapts a *rate.Limiter given as
// Options.Limiter, or any value with its token-bucket methods (a type that
// embeds one), with AdaptRate on the Client's clock.
type Limiter interface {
	WaitN(ctx context.Context, n int) error
}

// A RateSetter is a Limiter whose rate the Client may change: it follows the
// account's MaxSendRate (Options.AccountQuota) and is slowed for a while
// after SES throttles a send. [*RateLimiter] and redislimiter.Limiter are
// RateSetters; the Client leaves the rate of any other Limiter alone.
type RateSetter interface {
	SetLimitAt(t time.Time, newLimit rate.Limit)
	SetBurstAt(t time.Time, newBurst int)
}

// BurstFor is the burst the Client gives a RateSetter running at r
// recipients per second: half a second's worth, at least 1. SES lets a
// second's worth through at once; the half the Client keeps back absorbs
// requests that reach SES later than they were paced (network, scheduling),
// so that sending at the full rate is not throttled.
func BurstFor(r rate.Limit) int {
	if r == rate.Inf {
		return math.MaxInt32
	}
	return max(1, int(math.Ceil(float64(r)/2)))
}

// TransactionalReserve is how many tokens of a bucket of burst tokens bulk
// sends leave for transactional ones: a quarter, at least one, and none
// for a bucket of one token (where a transactional send waits at most one
// token's interval behind bulk mail). A bulk send waits until the bucket
// holds the reserve on top of its own tokens (all of the rest for a message
// larger than the rest), so that a transactional send of up to the reserve's
// recipients, arriving while a campaign keeps the rate saturated, finds its
// tokens already there.
func TransactionalReserve(burst int) int {
	if burst < 2 {
		return 0
	}
	return max(1, burst/4)
}

// tokenBucket is the part of *rate.Limiter that RateLimiter uses. A type
// that embeds a *rate.Limiter has it too.
type tokenBucket interface {
	ReserveN(t time.Time, n int) *rate.Reservation
	TokensAt(t time.Time) float64
	Limit() rate.Limit
	Burst() int
	SetLimitAt(t time.Time, newLimit rate.Limit)
	SetBurstAt(t time.Time, newBurst int)
}

var (
	_ tokenBucket = (*rate.Limiter)(nil)
	_ Limiter     = (*RateLimiter)(nil)
	_ RateSetter  = (*RateLimiter)(nil)
)

// RateLimiter is a [Limiter] over a golang.org/x/time/rate.Limiter. It
// takes any n: a message of more recipients than the burst goes when the
// bucket is full and leaves the limiter in debt. Sends wait in two queues,
// one per [Priority], each served in arrival order; only the head of a
// queue waits for tokens, and takes them when the bucket holds them:
//
//   - the head of the transactional queue takes its tokens as soon as the
//     bucket holds them (all of the bucket for a message larger than it);
//   - the head of the bulk queue takes its tokens only when no
//     transactional send is waiting and the bucket holds
//     [TransactionalReserve] more than it needs.
//
// Nothing is reserved ahead, so a transactional send never queues behind
// bulk ones, and a change of rate (a slow-down after a throttle, a new
// account rate) applies at once to every send still waiting.
//
// It is safe for concurrent use; each RateLimiter orders only its own
// sends.
type RateLimiter struct {
	lim   tokenBucket
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	turns [2]chan struct{} // per priority: held by the head of its queue

	mu     sync.Mutex
	queued [2]int // per priority: the tokens its waiting sends ask for
}

// AdaptRate returns a [RateLimiter] over l, on the wall clock. Sharing l
// with other users paces them together; only sends made through the
// RateLimiter are ordered by priority. A Client given l itself as
// Options.Limiter adapts it on its own clock (Options.Now and
// Options.Sleep).
func AdaptRate(l *rate.Limiter) *RateLimiter { return adaptRate(l, time.Now, sleepCtx) }

func adaptRate(l tokenBucket, now func() time.Time, sleep func(context.Context, time.Duration) error) *RateLimiter {
	return &RateLimiter{lim: l, now: now, sleep: sleep,
		turns: [2]chan struct{}{make(chan struct{}, 1), make(chan struct{}, 1)}}
}

// Limit returns the rate, in recipients per second.
func (r *RateLimiter) Limit() rate.Limit { return r.lim.Limit() }

// Burst returns the most tokens the bucket holds.
func (r *RateLimiter) Burst() int { return r.lim.Burst() }

// SetLimitAt sets the rate as of t.
func (r *RateLimiter) SetLimitAt(t time.Time, newLimit rate.Limit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lim.SetLimitAt(t, newLimit)
}

// SetBurstAt sets the burst as of t.
func (r *RateLimiter) SetBurstAt(t time.Time, newBurst int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lim.SetBurstAt(t, newBurst)
}

// drain empties the bucket at t: after SES throttled a send its own bucket
// is empty, and sends should start again from there.
func (r *RateLimiter) drain(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if have := r.lim.TokensAt(t); have > 0 && r.lim.Limit() != rate.Inf {
		r.lim.ReserveN(t, min(int(math.Ceil(have)), r.lim.Burst()))
	}
}

// WaitN takes n tokens at the priority of ctx (see [PriorityOf]), waiting
// as the type's documentation says. It fails at once, taking nothing, when
// the tokens that the sends queued ahead and this one need cannot be there
// before ctx's deadline, and later, still taking nothing, if the deadline
// comes anyway.
func (r *RateLimiter) WaitN(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := min(max(PriorityOf(ctx), PriorityTransactional), PriorityBulk)

	r.mu.Lock()
	limit, burst, err := r.admits()
	if err != nil || limit == rate.Inf {
		r.mu.Unlock()
		return err
	}
	t := r.now()
	ahead := r.queued[PriorityTransactional]
	if p == PriorityBulk {
		ahead += r.queued[PriorityBulk]
	}
	if d := wait(float64(ahead+need(p, n, burst))-r.lim.TokensAt(t), limit); pastDeadline(ctx, t, d) {
		r.mu.Unlock()
		return fmt.Errorf("sesguard: %d recipients must wait at least %v for the send rate, past the context's deadline: %w", n, d, context.DeadlineExceeded)
	}
	r.queued[p] += n
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.queued[p] -= n
		r.mu.Unlock()
	}()

	select {
	case r.turns[p] <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.turns[p] }()
	for {
		d, err := r.take(p, n)
		if err != nil || d == 0 {
			return err
		}
		if t := r.now(); pastDeadline(ctx, t, d) {
			return fmt.Errorf("sesguard: %d recipients must wait %v more for the send rate, past the context's deadline: %w", n, d, context.DeadlineExceeded)
		}
		if err := r.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// take takes n tokens for the head of p's queue if it may go now, and
// otherwise returns how long to wait before asking again.
func (r *RateLimiter) take(p Priority, n int) (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	limit, burst, err := r.admits()
	if err != nil || limit == rate.Inf {
		return 0, err
	}
	t := r.now()
	d := wait(float64(need(p, n, burst))-r.lim.TokensAt(t), limit)
	if p == PriorityBulk && r.queued[PriorityTransactional] > 0 {
		// A transactional send is waiting: it goes first.
		return max(d, wait(1, limit)), nil
	}
	if d > 0 {
		return d, nil
	}
	for left := n; left > 0; left -= burst {
		r.lim.ReserveN(t, min(left, burst))
	}
	return 0, nil
}

// need is how many tokens the bucket must hold for a send of n recipients
// at priority p to go: n, or the whole bucket for a larger message; for a
// bulk send, with TransactionalReserve(burst) left over.
func need(p Priority, n, burst int) int {
	if p != PriorityBulk {
		return min(n, burst)
	}
	keep := TransactionalReserve(burst)
	return keep + min(n, burst-keep)
}

// wait is how long the bucket takes to gather tokens more at limit; 0 when
// it holds them (tokens <= 0, or within rounding).
func wait(tokens float64, limit rate.Limit) time.Duration {
	if tokens <= 1e-9 {
		return 0
	}
	return time.Duration(math.Ceil(tokens / float64(limit) * float64(time.Second)))
}

func pastDeadline(ctx context.Context, t time.Time, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && d > 0 && t.Add(d).After(deadline)
}

// admits returns the limiter's rate and burst, and an error when they
// admit nothing. r.mu must be held.
func (r *RateLimiter) admits() (limit rate.Limit, burst int, err error) {
	limit, burst = r.lim.Limit(), r.lim.Burst()
	if limit != rate.Inf && (!(limit > 0) || burst < 1) {
		return limit, burst, fmt.Errorf("sesguard: rate limiter at %v with burst %d admits nothing", limit, burst)
	}
	return limit, burst, nil
}

// sleepCtx waits for d on the wall clock, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
