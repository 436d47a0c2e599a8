// Package memstore is an in-memory [store.Store], the one sesguard uses when
// no other is configured.
//
// It implements every optional ability of package store (BounceCounter,
// Deduper, Counter, Lister, Purger). It is fast — a lookup is a hash-map read
// under a sharded read lock — but it lives in one process: its list is lost
// on restart and invisible to other instances. Services with more than one
// instance, or that receive notifications in another process, want a shared
// store such as store/sqlstore.
package memstore

import (
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesguard/sesguard/store"
)

const numShards = 64

// Store is an in-memory suppression list. The zero value is not usable; call
// [New]. A Store is safe for concurrent use by multiple goroutines.
type Store struct {
	seed   maphash.Seed
	shards [numShards]shard

	// keysChanged is set when an address is added or removed, so that List
	// knows its sorted index is stale.
	keysChanged atomic.Bool
	listMu      sync.Mutex
	sorted      []string

	mu      sync.Mutex // guards bounces, claims, counts
	bounces map[string][]bounceRecord
	claims  map[string]time.Time
	counts  map[string]map[int64]bucket
}

type shard struct {
	mu     sync.RWMutex
	m      map[string]store.Suppression
	filter []uint64 // see filter.go
	stale  int      // addresses removed since the filter was built
}

type bounceRecord struct{ at, expires time.Time }

type bucket struct {
	n         int64
	keepUntil time.Time
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.BounceCounter = (*Store)(nil)
	_ store.Deduper       = (*Store)(nil)
	_ store.Counter       = (*Store)(nil)
	_ store.Lister        = (*Store)(nil)
	_ store.Purger        = (*Store)(nil)
)

// New returns an empty Store.
func New() *Store {
	s := &Store{
		seed:    maphash.MakeSeed(),
		bounces: make(map[string][]bounceRecord),
		claims:  make(map[string]time.Time),
		counts:  make(map[string]map[int64]bucket),
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]store.Suppression)
	}
	return s
}

func (s *Store) hash(addr string) uint64 { return maphash.String(s.seed, addr) }

func (s *Store) shard(h uint64) *shard { return &s.shards[h%numShards] }

// Lookup returns the suppressions stored for addrs, keyed by address. It
// returns a nil map when none is stored.
func (s *Store) Lookup(ctx context.Context, addrs []string) (map[string]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var found map[string]store.Suppression
	for i, a := range addrs {
		h := s.hash(a)
		sh := s.shard(h)
		sh.mu.RLock()
		var sup store.Suppression
		ok := sh.mayContain(h)
		if ok {
			sup, ok = sh.m[a]
		}
		sh.mu.RUnlock()
		if ok {
			if found == nil {
				found = make(map[string]store.Suppression, len(addrs)-i)
			}
			found[a] = sup
		}
	}
	return found, nil
}

// Put inserts or replaces the suppression for sup.Address.
func (s *Store) Put(ctx context.Context, sup store.Suppression) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if sup.Address == "" {
		return fmt.Errorf("memstore: put: empty address: %w", store.ErrInvalid)
	}
	h := s.hash(sup.Address)
	sh := s.shard(h)
	sh.mu.Lock()
	_, existed := sh.m[sup.Address]
	sh.m[sup.Address] = sup
	if !existed {
		sh.filterAdd(h, s)
	}
	sh.mu.Unlock()
	if !existed {
		s.keysChanged.Store(true)
	}
	return nil
}

// Delete removes the suppression for addr, if any.
func (s *Store) Delete(ctx context.Context, addr string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sh := s.shard(s.hash(addr))
	sh.mu.Lock()
	_, existed := sh.m[addr]
	if existed {
		delete(sh.m, addr)
		sh.filterRemoved(1, s)
	}
	sh.mu.Unlock()
	if existed {
		s.keysChanged.Store(true)
	}
	return nil
}

// Len returns the number of suppressions stored, expired ones included.
func (s *Store) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// List returns at most limit suppressions whose addresses sort after after.
func (s *Store) List(ctx context.Context, after string, limit int) ([]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	s.listMu.Lock()
	defer s.listMu.Unlock()
	if s.sorted == nil || s.keysChanged.Swap(false) {
		s.sorted = s.sorted[:0]
		for i := range s.shards {
			sh := &s.shards[i]
			sh.mu.RLock()
			for a := range sh.m {
				s.sorted = append(s.sorted, a)
			}
			sh.mu.RUnlock()
		}
		slices.Sort(s.sorted)
	}
	i := sort.SearchStrings(s.sorted, after)
	if i < len(s.sorted) && s.sorted[i] == after {
		i++
	}
	page := make([]store.Suppression, 0, min(limit, len(s.sorted)-i))
	// An address deleted since the index was built is skipped, so keep
	// walking until the page is full or the index ends.
	for ; i < len(s.sorted) && len(page) < limit; i++ {
		a := s.sorted[i]
		sh := s.shard(s.hash(a))
		sh.mu.RLock()
		sup, ok := sh.m[a]
		sh.mu.RUnlock()
		if ok {
			page = append(page, sup)
		}
	}
	return page, nil
}

// AddTransientBounce records a transient bounce for addr at t and returns the
// number recorded for addr in (t-window, t].
func (s *Store) AddTransientBounce(ctx context.Context, addr string, t time.Time, window time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	start := t.Add(-window)
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.bounces[addr][:0]
	n := 1
	for _, r := range s.bounces[addr] {
		if !r.at.After(start) {
			continue // outside every window from t on
		}
		kept = append(kept, r)
		if !r.at.After(t) {
			n++
		}
	}
	s.bounces[addr] = append(kept, bounceRecord{at: t, expires: t.Add(window)})
	return n, nil
}

// ClearTransientBounces forgets the transient bounces recorded for addr.
func (s *Store) ClearTransientBounces(ctx context.Context, addr string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.bounces, addr)
	s.mu.Unlock()
	return nil
}

// Claim records id until expires and reports whether this call claimed it.
func (s *Store) Claim(ctx context.Context, id string, t, expires time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if id == "" {
		return false, fmt.Errorf("memstore: claim: empty id: %w", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.claims[id]; ok && old.After(t) {
		return false, nil
	}
	s.claims[id] = expires
	return true, nil
}

// Release removes the claim on id.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.claims, id)
	s.mu.Unlock()
	return nil
}

// AddCount adds n to the bucket of name starting at bucket.
func (s *Store) AddCount(ctx context.Context, name string, start time.Time, n int64, keepUntil time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	key := start.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.counts[name]
	if m == nil {
		m = make(map[int64]bucket)
		s.counts[name] = m
	}
	b := m[key]
	b.n += n
	if keepUntil.After(b.keepUntil) {
		b.keepUntil = keepUntil
	}
	m[key] = b
	return nil
}

// SumCounts returns the sum of name's buckets that start in [from, to).
func (s *Store) SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	lo, hi := from.UnixNano(), to.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum int64
	for k, b := range s.counts[name] {
		if k >= lo && k < hi {
			sum += b.n
		}
	}
	return sum, nil
}

// Purge removes what expired at or before t and returns the number of
// suppressions removed.
func (s *Store) Purge(ctx context.Context, t time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	removed := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n := 0
		for a, sup := range sh.m {
			if sup.Expired(t) {
				delete(sh.m, a)
				n++
			}
		}
		if n > 0 {
			sh.filterRemoved(n, s)
		}
		sh.mu.Unlock()
		removed += n
	}
	if removed > 0 {
		s.keysChanged.Store(true)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for id, exp := range s.claims {
		if !exp.After(t) {
			delete(s.claims, id)
		}
	}
	for a, rs := range s.bounces {
		kept := rs[:0]
		for _, r := range rs {
			if r.expires.After(t) {
				kept = append(kept, r)
			}
		}
		if len(kept) == 0 {
			delete(s.bounces, a)
		} else {
			s.bounces[a] = kept
		}
	}
	for name, m := range s.counts {
		for k, b := range m {
			if !b.keepUntil.After(t) {
				delete(m, k)
			}
		}
		if len(m) == 0 {
			delete(s.counts, name)
		}
	}
	return removed, nil
}
