package memstore

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
)

// The bookkeeping beside the suppression list: transient-bounce records,
// applied marks and counters, each sharded by its key so that writers for
// different addresses, notifications or counters do not queue on one lock.

const bookShards = 16

// bounceBook keeps the transient bounces recorded per address.
type bounceBook struct {
	seed   maphash.Seed
	shards [bookShards]struct {
		mu sync.Mutex
		m  map[string]*bounces
	}
}

// bounces are the records of one address.
type bounces struct {
	ids    []string
	times  []time.Time
	window time.Duration // the longest window asked with
	latest time.Time     // the latest bounce time seen
}

func (b *bounceBook) init() {
	b.seed = maphash.MakeSeed()
	for i := range b.shards {
		b.shards[i].m = make(map[string]*bounces)
	}
}

func (b *bounceBook) shard(addr string) (*sync.Mutex, map[string]*bounces) {
	sh := &b.shards[maphash.String(b.seed, addr)%bookShards]
	return &sh.mu, sh.m
}

// add records id at t for addr once and returns the window count at t.
func (b *bounceBook) add(addr, id string, t time.Time, window time.Duration) int {
	mu, m := b.shard(addr)
	mu.Lock()
	defer mu.Unlock()
	r := m[addr]
	if r == nil {
		r = &bounces{}
		m[addr] = r
	}
	r.window = max(r.window, window)
	if t.After(r.latest) {
		r.latest = t
		r.forget(r.latest.Add(-2 * r.window))
	}
	if !r.has(id) {
		r.ids = append(r.ids, id)
		r.times = append(r.times, t)
	}
	return store.BounceWindow(r.times, t, window)
}

func (r *bounces) has(id string) bool {
	for _, x := range r.ids {
		if x == id {
			return true
		}
	}
	return false
}

// forget drops the records at or before t.
func (r *bounces) forget(t time.Time) {
	n := 0
	for i := range r.ids {
		if r.times[i].After(t) {
			r.ids[n], r.times[n] = r.ids[i], r.times[i]
			n++
		}
	}
	clear(r.ids[n:])
	r.ids, r.times = r.ids[:n], r.times[:n]
}

// records returns copies of addr's ids and times.
func (b *bounceBook) records(addr string) ([]string, []time.Time) {
	mu, m := b.shard(addr)
	mu.Lock()
	defer mu.Unlock()
	r := m[addr]
	if r == nil {
		return nil, nil
	}
	return append([]string(nil), r.ids...), append([]time.Time(nil), r.times...)
}

func (b *bounceBook) clear(addr string) {
	mu, m := b.shard(addr)
	mu.Lock()
	delete(m, addr)
	mu.Unlock()
}

// purge drops the records that no window can need at t: those older than
// twice the window.
func (b *bounceBook) purge(t time.Time) {
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		for a, r := range sh.m {
			r.forget(t.Add(-2 * r.window))
			if len(r.ids) == 0 {
				delete(sh.m, a)
			}
		}
		sh.mu.Unlock()
	}
}

// markBook keeps the applied marks: notification id → mark expiry.
type markBook struct {
	seed   maphash.Seed
	shards [bookShards]struct {
		mu sync.Mutex
		m  map[string]time.Time
	}
}

func (b *markBook) init() {
	b.seed = maphash.MakeSeed()
	for i := range b.shards {
		b.shards[i].m = make(map[string]time.Time)
	}
}

func (b *markBook) applied(id string, t time.Time) bool {
	sh := &b.shards[maphash.String(b.seed, id)%bookShards]
	sh.mu.Lock()
	exp, ok := sh.m[id]
	sh.mu.Unlock()
	return ok && exp.After(t)
}

// mark marks id until expires unless it holds a mark unexpired at t, and
// then calls also before it lets go of the mark's lock.
func (b *markBook) mark(id string, t, expires time.Time, also func()) bool {
	sh := &b.shards[maphash.String(b.seed, id)%bookShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if exp, ok := sh.m[id]; ok && exp.After(t) {
		return false
	}
	sh.m[id] = expires
	also()
	return true
}

func (b *markBook) purge(t time.Time) {
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		for id, exp := range sh.m {
			if !exp.After(t) {
				delete(sh.m, id)
			}
		}
		sh.mu.Unlock()
	}
}

// countBook keeps named counters in buckets.
type countBook struct {
	seed   maphash.Seed
	shards [bookShards]struct {
		mu sync.Mutex
		m  map[string]map[int64]bucket // name → bucket start (Unix ns) →
	}
}

type bucket struct {
	n         int64
	keepUntil time.Time
}

func (b *countBook) init() {
	b.seed = maphash.MakeSeed()
	for i := range b.shards {
		b.shards[i].m = make(map[string]map[int64]bucket)
	}
}

func (b *countBook) add(c store.Count) {
	sh := &b.shards[maphash.String(b.seed, c.Name)%bookShards]
	key := c.Bucket.UnixNano()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	m := sh.m[c.Name]
	if m == nil {
		m = make(map[int64]bucket)
		sh.m[c.Name] = m
	}
	bk := m[key]
	bk.n += c.N
	if c.KeepUntil.After(bk.keepUntil) {
		bk.keepUntil = c.KeepUntil
	}
	m[key] = bk
}

func (b *countBook) sum(name string, from, to time.Time) int64 {
	sh := &b.shards[maphash.String(b.seed, name)%bookShards]
	lo, hi := from.UnixNano(), to.UnixNano()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var sum int64
	for k, bk := range sh.m[name] {
		if k >= lo && k < hi {
			sum += bk.n
		}
	}
	return sum
}

func (b *countBook) purge(t time.Time) {
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		for name, m := range sh.m {
			for k, bk := range m {
				if !bk.keepUntil.After(t) {
					delete(m, k)
				}
			}
			if len(m) == 0 {
				delete(sh.m, name)
			}
		}
		sh.mu.Unlock()
	}
}
