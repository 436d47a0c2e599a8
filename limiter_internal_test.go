package sesguard

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestPacerSlowsAfterThrottlesAndRecovers(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	lim := rate.NewLimiter(10, 5)
	p := newPacer(lim, func() time.Time { return t0 }, func(context.Context, time.Duration) error { return nil })
	p.setRate(10, false)
	steps := []struct {
		name      string
		at        time.Duration // after t0
		throttled bool          // a throttle at this time; otherwise a recover
		limit     rate.Limit
		burst     int
	}{
		{"a throttle halves the rate", 0, true, 5, 3},
		{"throttles less than a second apart halve it once", 500 * time.Millisecond, true, 5, 3},
		{"a throttle a second later halves it again", 1500 * time.Millisecond, true, 2.5, 2},
		{"down to an eighth", 3 * time.Second, true, 1.25, 1},
		{"and no further", 5 * time.Second, true, 1.25, 1},
		{"still slowed before 30s without a throttle", 34 * time.Second, false, 1.25, 1},
		{"the full rate 30s after the last throttle", 35 * time.Second, false, 10, 5},
	}
	for _, s := range steps {
		at := t0.Add(s.at)
		if s.throttled {
			p.throttled(at)
		} else {
			p.recover(at)
		}
		if lim.Limit() != s.limit || lim.Burst() != s.burst {
			t.Errorf("%s: limit %v burst %d, want %v and %d", s.name, lim.Limit(), lim.Burst(), s.limit, s.burst)
		}
	}
	p.throttled(t0.Add(40 * time.Second))
	p.setRate(20, false)
	if lim.Limit() != 10 {
		t.Errorf("a new account rate while slowed: limit %v, want 10 (20 halved)", lim.Limit())
	}
}

func TestPacerLeavesOtherLimitersAlone(t *testing.T) {
	var l struct{ Limiter }
	p := newPacer(l, time.Now, sleepCtx)
	p.setRate(10, false)
	p.throttled(time.Now())
	if p.factor != 1 {
		t.Errorf("a Limiter that is not a RateSetter was slowed (factor %v)", p.factor)
	}
}
