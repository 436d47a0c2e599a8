package sesguard

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"golang.org/x/time/rate"
)

func TestPacerSlowsAfterAThrottleAndRampsBack(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	lim := rate.NewLimiter(14, 7)
	p := newPacer(adaptRate(lim, func() time.Time { return t0 }, sleepCtx), func() time.Time { return t0 })
	p.setRate(14, false)
	ms := time.Millisecond
	steps := []struct {
		name      string
		at        time.Duration // after t0
		throttled bool          // a throttle at this time; otherwise a send
		pacedAt   time.Duration // when the throttled send was paced
		limit     rate.Limit
	}{
		{"a throttle halves the rate", 0, true, 0, 7},
		{"a throttle within a second of it changes nothing", 900 * ms, true, 800 * ms, 7},
		{"nor one of a send paced before the slow-down", 1500 * ms, true, -ms, 7},
		{"the rate climbs in a straight line", 1500 * ms, false, 0, 10.5},
		{"back to the full rate in 3s", 3 * time.Second, false, 0, 14},
		{"a throttle at 14 halves again", 10 * time.Second, true, 9 * time.Second, 7},
		{"a throttle during the ramp lowers the ceiling", 11500 * ms, true, 11 * time.Second, 10.5 / 2},
		{"the ramp ends at the ceiling", 14500 * ms, false, 0, 10.5},
		{"and climbs from there to the full rate in 30s", 29500 * ms, false, 0, 12.25},
		{"the full rate after that", 44500 * ms, false, 0, 14},
	}
	for _, s := range steps {
		at := t0.Add(s.at)
		if s.throttled {
			p.throttled(t0.Add(s.pacedAt), at)
		} else {
			p.mu.Lock()
			p.apply(at, true)
			p.mu.Unlock()
		}
		assert.InDelta(t, float64(s.limit), float64(lim.Limit()), 1e-9, s.name)
		assert.Equal(t, BurstFor(lim.Limit()), lim.Burst(), s.name)
	}
}

func TestPacerFloor(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	lim := rate.NewLimiter(16, 8)
	p := newPacer(adaptRate(lim, time.Now, sleepCtx), func() time.Time { return t0 })
	p.setRate(16, false)
	for i := range 10 {
		at := t0.Add(time.Duration(i) * 1100 * time.Millisecond)
		p.throttled(at, at)
	}
	assert.InDelta(t, 2, float64(p.rate(t0.Add(9900*time.Millisecond))), 0.5, "an eighth of the rate at most")
}

func TestPacerLeavesOtherLimitersAlone(t *testing.T) {
	var l struct{ Limiter }
	p := newPacer(l, time.Now)
	p.setRate(10, false)
	p.throttled(time.Now(), time.Now())
	assert.False(t, p.slowed, "a Limiter that is not a RateSetter was slowed")
	assert.Zero(t, p.rate(time.Now()))
}
