package sesguard

import (
	"context"
	"errors"
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
// WaitN blocks until n tokens are available or ctx is done, and returns an
// error when it cannot wait; it should fail at once when the wait would pass
// ctx's deadline, as rate.Limiter does. It must be safe for concurrent use.
//
// *rate.Limiter (golang.org/x/time/rate) is a Limiter, and is the one the
// Client makes when Options.SendRate or Options.AccountQuota is set.
// rate.Limiter refuses n above its burst, so the Client does not call its
// WaitN: it reserves the tokens itself, in chunks no larger than the burst,
// on the Client's clock (Options.Now and Options.Sleep). A message with more
// recipients than the burst goes when the bucket is full and leaves it in
// debt — SES takes 50-recipient messages from accounts limited to 14 a
// second, so its limit must allow as much (package sestest models it so) —
// and it never fails for its size while the long-run rate still holds. Any other Limiter is given the whole n and must
// accept n above whatever burst it has; redislimiter.Limiter does.
type Limiter interface {
	WaitN(ctx context.Context, n int) error
}

// A RateSetter is a Limiter whose rate the Client may change: it follows the
// account's MaxSendRate (Options.AccountQuota) and is slowed for a while
// after SES throttles a send. *rate.Limiter and redislimiter.Limiter are
// RateSetters; the Client leaves the rate of any other Limiter alone.
type RateSetter interface {
	SetLimitAt(t time.Time, newLimit rate.Limit)
	SetBurstAt(t time.Time, newBurst int)
}

var (
	_ Limiter    = (*rate.Limiter)(nil)
	_ RateSetter = (*rate.Limiter)(nil)
)

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

// How the Client slows its limiter when SES throttles: to half the rate,
// halving again for throttles a second or more apart down to an eighth, and
// back to the full rate once slowFor has passed without a throttle.
const (
	slowStep  = 0.5
	slowFloor = 0.125
	slowGap   = time.Second
	slowFor   = 30 * time.Second
)

// pacer holds the Client's Limiter and the rate it should run at. A nil
// *pacer paces nothing.
type pacer struct {
	lim   Limiter
	set   RateSetter // lim as a RateSetter, or nil
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu        sync.Mutex
	base      rate.Limit // the configured or account rate; 0 while unknown
	factor    float64    // 1, or less while slowed after a throttle
	slowedAt  time.Time
	slowUntil time.Time
}

func newPacer(lim Limiter, now func() time.Time, sleep func(context.Context, time.Duration) error) *pacer {
	p := &pacer{lim: lim, now: now, sleep: sleep, factor: 1}
	p.set, _ = lim.(RateSetter)
	return p
}

// setRate makes r the rate the limiter runs at when it is not slowed. With
// full, the bucket starts full at the new rate, as it does for a new
// limiter: the Client does so with the first rate read from the account.
func (p *pacer) setRate(r rate.Limit, full bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.base = r
	now := p.now()
	p.apply(now)
	if full && p.set != nil && r != rate.Inf {
		// Setting the limit as of an hour ago leaves the limiter to refill
		// that hour's worth of tokens, up to the burst, at its next use.
		p.set.SetLimitAt(now.Add(-time.Hour), r*rate.Limit(p.factor))
	}
}

// throttled slows the limiter after SES refused a send at now for its rate.
func (p *pacer) throttled(now time.Time) {
	if p == nil || p.set == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.factor == 1 || now.Sub(p.slowedAt) >= slowGap {
		p.factor = max(p.factor*slowStep, slowFloor)
		p.slowedAt = now
	}
	p.slowUntil = now.Add(slowFor)
	p.apply(now)
}

// recover ends a slow-down that has run its course.
func (p *pacer) recover(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.factor < 1 && !now.Before(p.slowUntil) {
		p.factor = 1
		p.apply(now)
	}
}

// apply sets the limiter to base slowed by factor. p.mu must be held.
func (p *pacer) apply(now time.Time) {
	if p.set == nil || p.base <= 0 {
		return
	}
	r := p.base
	if r != rate.Inf {
		r *= rate.Limit(p.factor)
	}
	p.set.SetLimitAt(now, r)
	p.set.SetBurstAt(now, BurstFor(r))
}

// wait takes n tokens from the limiter.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p == nil || n <= 0 {
		return nil
	}
	p.recover(p.now())
	if rl, ok := p.lim.(*rate.Limiter); ok {
		return reserveWait(ctx, rl, n, p.now, p.sleep)
	}
	if err := p.lim.WaitN(ctx, n); err != nil {
		return fmt.Errorf("sesguard: rate limiter: %w", err)
	}
	return nil
}

// reserveMu orders the chunked reservations of a message, so that another
// send's reservation cannot fall between its chunks and be paced as if the
// message had taken fewer tokens.
var reserveMu sync.Mutex

// reserveWait takes n tokens from lim on the given clock: it reserves them in
// chunks no larger than the burst, all at once, and waits until the first
// chunk may act — the moment the bucket could hold the message — leaving the
// limiter in debt for the rest. It gives the tokens back and fails at once
// when that moment is past ctx's deadline, and gives them back when ctx is
// done while it waits.
func reserveWait(ctx context.Context, lim *rate.Limiter, n int, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if lim.Limit() == rate.Inf {
		return nil
	}
	burst := lim.Burst()
	if burst < 1 {
		return errors.New("sesguard: rate limiter has burst 0 and admits nothing")
	}
	var one [1]*rate.Reservation
	rs := one[:0]
	reserveMu.Lock()
	t := now()
	for left := n; left > 0; left -= burst {
		rs = append(rs, lim.ReserveN(t, min(left, burst)))
	}
	reserveMu.Unlock()
	giveBack := func(at time.Time) {
		for i := len(rs) - 1; i >= 0; i-- {
			rs[i].CancelAt(at)
		}
	}
	d := rs[0].DelayFrom(t)
	if deadline, ok := ctx.Deadline(); ok && t.Add(d).After(deadline) {
		giveBack(t)
		return fmt.Errorf("sesguard: %d recipients must wait %v for the send rate, past the context's deadline: %w", n, d, context.DeadlineExceeded)
	}
	if d <= 0 {
		return nil
	}
	if err := sleep(ctx, d); err != nil {
		giveBack(now())
		return err
	}
	return nil
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
