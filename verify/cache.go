package verify

import (
	"sync"
	"time"
)

// ttlCache is a bounded map whose entries expire. It is safe for concurrent
// use. When full it first drops expired entries, then arbitrary ones: a
// verification cache only saves work, so losing an entry costs one lookup.
type ttlCache[V any] struct {
	mu  sync.Mutex
	m   map[string]cacheEntry[V]
	max int
}

type cacheEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[V any](max int) *ttlCache[V] {
	return &ttlCache[V]{m: make(map[string]cacheEntry[V]), max: max}
}

// get returns the value for key unless it is missing or expired at now.
func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put stores v for key until expires.
func (c *ttlCache[V]) put(key string, v V, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = cacheEntry[V]{v: v, expires: expires}
}

// len returns the number of entries, expired ones included.
func (c *ttlCache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
