package ttlcache_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/ttlcache"
)

func TestCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := ttlcache.New[int](2)

	t.Run("a value lives until it expires", func(t *testing.T) {
		c.Put("a", 1, now.Add(time.Minute), now)
		v, ok := c.Get("a", now.Add(time.Minute-time.Nanosecond))
		require.True(t, ok)
		assert.Equal(t, 1, v)
		_, ok = c.Get("a", now.Add(time.Minute))
		assert.False(t, ok, "expired")
	})
	t.Run("a full cache drops expired entries first", func(t *testing.T) {
		c.Put("b", 2, now.Add(time.Hour), now)
		later := now.Add(2 * time.Minute) // "a" has expired
		c.Put("c", 3, later.Add(time.Hour), later)
		assert.Equal(t, 2, c.Len())
		for _, k := range []string{"b", "c"} {
			_, ok := c.Get(k, later)
			assert.True(t, ok, k)
		}
	})
	t.Run("never more than its bound", func(t *testing.T) {
		for i := range 10 {
			c.Put(fmt.Sprint(i), i, now.Add(time.Hour), now)
		}
		assert.Equal(t, 2, c.Len())
	})
	t.Run("safe for concurrent use", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 100 {
					k := fmt.Sprint(g, i%3)
					c.Put(k, i, now.Add(time.Hour), now)
					c.Get(k, now)
				}
			})
		}
		wg.Wait()
		assert.LessOrEqual(t, c.Len(), 2)
	})
}
