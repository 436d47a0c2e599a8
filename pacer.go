package sesguard

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// How the Client slows its limiter when SES throttles, and how it comes
// back. A throttle empties the bucket (of the Client's own limiter) and
// halves the rate in force (down to an eighth of the
// configured one) and remembers that rate as the ceiling; the rate then
// climbs in a straight line back to the ceiling in rampFor, and from there
// to the full rate in probeFor. A throttle of a send that was paced before
// the last slow-down, or within slowGap of it, does not slow it again:
// sends already on their way when the rate fell say nothing about the new
// rate.
const (
	slowStep  = 0.5
	slowFloor = 0.125
	slowGap   = time.Second
	rampFor   = 3 * time.Second
	probeFor  = 30 * time.Second
	// The limiter's rate is reset when it is off by more than this share
	// of the full rate.
	rateStep = 0.005
)

// pacer holds the Client's Limiter and the rate it should run at. A nil
// *pacer paces nothing.
type pacer struct {
	lim Limiter
	set RateSetter // lim as a RateSetter, or nil
	now func() time.Time

	mu       sync.Mutex
	base     rate.Limit // the configured or account rate; 0 while unknown
	slowed   bool
	low      float64   // the share of base right after the last slow-down
	ceil     float64   // the share of base in force when SES throttled
	slowedAt time.Time // when the last slow-down took effect
	applied  rate.Limit
}

func newPacer(lim Limiter, now func() time.Time) *pacer {
	p := &pacer{lim: lim, now: now}
	p.set, _ = lim.(RateSetter)
	return p
}

// factorAt is the share of base in force at t. p.mu must be held.
func (p *pacer) factorAt(t time.Time) float64 {
	if !p.slowed {
		return 1
	}
	e := t.Sub(p.slowedAt)
	if e < rampFor {
		return p.low + (p.ceil-p.low)*float64(e)/float64(rampFor)
	}
	return min(1, p.ceil+(1-p.ceil)*float64(e-rampFor)/float64(probeFor))
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
	p.apply(now, true)
	if full && p.set != nil && r != rate.Inf {
		// Setting the limit as of an hour ago leaves the limiter to refill
		// that hour's worth of tokens, up to the burst, at its next use.
		p.set.SetLimitAt(now.Add(-time.Hour), p.applied)
	}
}

// rate returns the rate in force at now: 0 when the Client does not know
// it (a Limiter that is not a RateSetter, or before the account is read).
func (p *pacer) rate(now time.Time) rate.Limit {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set == nil || p.base <= 0 {
		return 0
	}
	if p.base == rate.Inf {
		return rate.Inf
	}
	return p.base * rate.Limit(p.factorAt(now))
}

// throttled slows the limiter after SES refused, at now, a send whose
// tokens were granted at pacedAt.
func (p *pacer) throttled(pacedAt, now time.Time) {
	if p == nil || p.set == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.slowed && (pacedAt.Before(p.slowedAt) || now.Sub(p.slowedAt) < slowGap) {
		return
	}
	f := p.factorAt(now)
	p.ceil = f
	p.low = max(f*slowStep, slowFloor)
	p.slowed = true
	p.slowedAt = now
	p.apply(now, true)
	if d, ok := p.lim.(drainer); ok {
		d.drain(now)
	}
}

// A drainer is a Limiter whose bucket the pacer empties when SES
// throttles: SES's bucket is empty then, and tokens left in the Client's
// would only be throttled too.
type drainer interface{ drain(t time.Time) }

// apply sets the limiter to base scaled by the factor in force at now, when
// force is set or the limiter's rate is off by more than rateStep. p.mu
// must be held.
func (p *pacer) apply(now time.Time, force bool) {
	if p.set == nil || p.base <= 0 {
		return
	}
	r := p.base
	if r != rate.Inf {
		f := p.factorAt(now)
		if f >= 1 {
			p.slowed = false
		}
		r *= rate.Limit(f)
		if !force && abs(float64(r-p.applied)) <= rateStep*float64(p.base) {
			return
		}
	}
	p.applied = r
	p.set.SetLimitAt(now, r)
	p.set.SetBurstAt(now, BurstFor(r))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// wait takes n tokens from the limiter and returns when they were granted.
func (p *pacer) wait(ctx context.Context, n int) (time.Time, error) {
	if p == nil || n <= 0 {
		return time.Time{}, nil
	}
	p.mu.Lock()
	p.apply(p.now(), false)
	p.mu.Unlock()
	if err := p.lim.WaitN(ctx, n); err != nil {
		if _, own := p.lim.(*RateLimiter); !own {
			err = fmt.Errorf("sesguard: rate limiter: %w", err)
		}
		return time.Time{}, err
	}
	return p.now(), nil
}
