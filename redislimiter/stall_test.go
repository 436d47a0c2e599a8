package redislimiter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/faultproxy"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/redislimiter"
)

// stalledRedis returns a client for Redis behind a fault proxy, whose own
// timeouts are an hour so that only the caller's context can end a call,
// and the proxy.
func stalledRedis(t *testing.T) (*redis.Client, *faultproxy.Proxy) {
	t.Helper()
	real := redisClient(t)
	p, err := faultproxy.New(real.Options().Addr)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr(), ReadTimeout: time.Hour, WriteTimeout: time.Hour,
		PoolTimeout: time.Hour, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	require.NoError(t, rdb.Ping(ctx).Err())
	return rdb, p
}

// returnsWithin runs f and fails the test if it has not returned 30 s after
// its 100 ms deadline: a wait that only a stall's end can break.
func returnsWithin(t *testing.T, f func(context.Context) error) error {
	t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(dctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		require.FailNow(t, "the call ignored its 100 ms deadline while Redis stalled")
		return nil
	}
}

func TestStalledRedisWaitNHonoursTheDeadline(t *testing.T) {
	rdb, p := stalledRedis(t)
	for _, failOpen := range []bool{false, true} {
		lim, err := redislimiter.New(rdb, "acct", "us-east-1", func(o *redislimiter.Options) {
			o.Rate, o.Prefix, o.FailOpen = 10, prefix(t, redisClient(t)), failOpen
		})
		require.NoError(t, err)
		p.Stall(time.Hour)
		err = returnsWithin(t, func(c context.Context) error { return lim.WaitN(c, 1) })
		assert.ErrorIs(t, err, context.DeadlineExceeded, "FailOpen %v", failOpen)
		assert.False(t, errors.Is(err, redislimiter.ErrUnavailable), "a deadline is not an outage: %v", err)
		p.Resume()
		require.NoError(t, lim.WaitN(ctx, 1), "after the stall")
	}
}

func TestStalledRedisSendHonoursTheDeadlineAndSendsNothing(t *testing.T) {
	rdb, p := stalledRedis(t)
	srv, api := sendload.Emulator(t, 100)
	lim, err := redislimiter.New(rdb, "acct", "us-east-1", func(o *redislimiter.Options) {
		o.Rate, o.Prefix = 100, prefix(t, redisClient(t))
	})
	require.NoError(t, err)
	c, err := sesguard.New(api, func(o *sesguard.Options) { o.Limiter = lim })
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })

	p.Stall(time.Hour)
	err = returnsWithin(t, func(dctx context.Context) error {
		_, err := c.Send(dctx, sendload.Simple("a@example.com"))
		return err
	})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, srv.Quota().Messages, "nothing went to SES")

	p.Resume()
	_, err = c.Send(ctx, sendload.Simple("a@example.com"))
	require.NoError(t, err, "the send after the stall")
	assert.Equal(t, int64(1), srv.Quota().Messages)
}
