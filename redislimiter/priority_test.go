package redislimiter_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/redislimiter"
)

// TestPriorities steps one key at 10/s (a bucket of 5, one token kept for
// transactional mail) through bulk and transactional requests from two
// Limiters, as two processes would send, on Redis and on the local
// fallback.
func TestPriorities(t *testing.T) {
	bulk := sesguard.WithPriority(context.Background(), sesguard.PriorityBulk)
	ms := time.Millisecond
	steps := []struct {
		name     string
		other    bool // from the second Limiter
		ctx      context.Context
		n        int
		deadline time.Duration // 0: none
		wait     time.Duration // -1: refused for the deadline
	}{
		{"bulk takes all but the reserve", false, bulk, 4, 0, 0},
		{"then waits for a token above it", true, bulk, 1, 0, 100 * ms},
		{"a transactional send takes the reserve at once", true, ctx, 1, 0, 0},
		{"and the next waits one token", false, ctx, 1, 0, 100 * ms},
		{"bulk that cannot go before its deadline takes nothing", true, bulk, 1, 150 * ms, -1},
		{"a bulk message larger than the rest waits for the whole bucket", false, bulk, 10, 0, 500 * ms},
		{"and leaves the bucket in debt", true, ctx, 1, 0, 600 * ms},
	}
	run := func(t *testing.T, a, b *redislimiter.Limiter, clk *clock) {
		for _, s := range steps {
			lim := a
			if s.other {
				lim = b
			}
			sctx := s.ctx
			if s.deadline > 0 {
				var cancel context.CancelFunc
				sctx, cancel = context.WithDeadline(s.ctx, clk.Now().Add(s.deadline))
				defer cancel()
			}
			err := lim.WaitN(sctx, s.n)
			var waited time.Duration
			for _, w := range clk.taken() {
				waited += w
			}
			if s.wait < 0 {
				require.ErrorIs(t, err, context.DeadlineExceeded, s.name)
				assert.Zero(t, waited, s.name)
				continue
			}
			require.NoError(t, err, s.name)
			assert.Equal(t, s.wait, waited, s.name)
		}
	}
	t.Run("Redis", func(t *testing.T) {
		rdb := redisClient(t)
		clk := &clock{t: time.Now()}
		p := prefix(t, rdb)
		a, err := redislimiter.New(rdb, "acct", "us-east-1", onClock(clk, p))
		require.NoError(t, err)
		b, err := redislimiter.New(rdb, "acct", "us-east-1", onClock(clk, p))
		require.NoError(t, err)
		run(t, a, b, clk)
	})
	t.Run("local fallback", func(t *testing.T) {
		clk := &clock{t: time.Now()}
		a, err := redislimiter.New(deadRedis(t), "acct", "us-east-1",
			onClock(clk, "x:", func(o *redislimiter.Options) { o.FailOpen = true }))
		require.NoError(t, err)
		run(t, a, a, clk)
	})
}
