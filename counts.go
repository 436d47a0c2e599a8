package sesguard

import (
	"context"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
)

// localCounts is the in-process store.Counter the breaker uses when the
// Client's store has none, or when the Client made its own in-memory store.
// It drops buckets once their keepUntil has passed, so its memory is
// bounded by the breaker's window.
type localCounts struct {
	mu      sync.Mutex
	buckets map[string]map[int64]localBucket // name → bucket start (Unix ns) →
	newest  time.Time                        // latest bucket start seen
}

type localBucket struct {
	n         int64
	keepUntil time.Time
}

var _ store.Counter = (*localCounts)(nil)

func newLocalCounts() *localCounts {
	return &localCounts{buckets: make(map[string]map[int64]localBucket)}
}

// AddCount adds n to the bucket of name that starts at bucket.
func (l *localCounts) AddCount(_ context.Context, name string, bucket time.Time, n int64, keepUntil time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bucket.After(l.newest) {
		l.newest = bucket
		l.drop(bucket)
	}
	m := l.buckets[name]
	if m == nil {
		m = make(map[int64]localBucket)
		l.buckets[name] = m
	}
	b := m[bucket.UnixNano()]
	b.n += n
	if keepUntil.After(b.keepUntil) {
		b.keepUntil = keepUntil
	}
	m[bucket.UnixNano()] = b
	return nil
}

// SumCounts returns the sum of name's buckets that start in [from, to).
func (l *localCounts) SumCounts(_ context.Context, name string, from, to time.Time) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lo, hi := from.UnixNano(), to.UnixNano()
	var sum int64
	for k, b := range l.buckets[name] {
		if k >= lo && k < hi {
			sum += b.n
		}
	}
	return sum, nil
}

// drop removes the buckets whose keepUntil is at or before t. l.mu must be
// held.
func (l *localCounts) drop(t time.Time) {
	for _, m := range l.buckets {
		for k, b := range m {
			if !b.keepUntil.After(t) {
				delete(m, k)
			}
		}
	}
}
