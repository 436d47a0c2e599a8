// Package ttlcache is a small bounded map whose entries expire, shared by
// the packages of this module that cache slow look-ups (verify's DNS and
// external checks, sns's signing certificates).
package ttlcache

import (
	"sync"
	"time"
)

// Cache is a bounded map whose entries expire. It is safe for concurrent
// use. When full it first drops expired entries, then arbitrary ones: a
// cache only saves work, so losing an entry costs one look-up.
type Cache[V any] struct {
	mu  sync.Mutex
	m   map[string]entry[V]
	max int
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a Cache that holds at most max entries.
func New[V any](max int) *Cache[V] {
	return &Cache[V]{m: make(map[string]entry[V]), max: max}
}

// Get returns the value for key unless it is missing or expired at now.
func (c *Cache[V]) Get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v for key until expires.
func (c *Cache[V]) Put(key string, v V, expires, now time.Time) {
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
	c.m[key] = entry[V]{v: v, expires: expires}
}

// Len returns the number of entries, expired ones included.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
