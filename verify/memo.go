package verify

import (
	"context"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/sesguard/sesguard/internal/ttlcache"
)

// memo runs slow lookups (DNS, external verifiers) at most once per key at a
// time and caches their results. Concurrent callers for one key share one
// lookup; each caller still returns as soon as its own ctx ends. The shared
// lookup runs detached from any one caller's cancellation, bounded by
// timeout, so its result is cached for the next caller even if the first
// gave up.
type memo struct {
	cache   *ttlcache.Cache[Result]
	group   singleflight.Group
	now     func() time.Time
	timeout time.Duration
	ttl     func(Result) time.Duration // 0: do not cache
}

func newMemo(maxEntries int, timeout time.Duration, now func() time.Time, ttl func(Result) time.Duration) *memo {
	return &memo{cache: ttlcache.New[Result](maxEntries), now: now, timeout: timeout, ttl: ttl}
}

func (m *memo) do(ctx context.Context, key string, lookup func(ctx context.Context) Result) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if r, ok := m.cache.Get(key, m.now()); ok {
		return r, nil
	}
	ch := m.group.DoChan(key, func() (any, error) {
		// A caller that missed the cache just before an earlier flight
		// stored its result starts a flight of its own; it finds the
		// result here instead of looking the key up again.
		if r, ok := m.cache.Get(key, m.now()); ok {
			return r, nil
		}
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.timeout)
		defer cancel()
		r := lookup(lctx)
		if ttl := m.ttl(r); ttl > 0 {
			now := m.now()
			m.cache.Put(key, r, now.Add(ttl), now)
		}
		return r, nil
	})
	select {
	case res := <-ch:
		return res.Val.(Result), nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
