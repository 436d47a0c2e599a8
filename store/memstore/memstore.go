// Package memstore is an in-memory [store.Store], the one sesguard uses when
// no other is configured.
//
// It implements every optional ability of package store (BounceCounter,
// Deduper, Counter, Lister, Purger, Transactor). It is fast — a lookup is a
// hash-map read under a sharded read lock — but it lives in one process: its
// list is lost on restart and invisible to other instances. Services with
// more than one instance, or that receive notifications in another process,
// want a shared store such as store/sqlstore.
package memstore

import (
	"context"
	"fmt"
	"hash/maphash"
	"slices"
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

	// keysChanged is set when a key is added or removed, so that List
	// knows its sorted index is stale.
	keysChanged atomic.Bool
	listMu      sync.Mutex
	sorted      []store.Key

	// txMu is held for reading by every write outside a transaction and
	// for writing while a transaction commits, so that a commit is seen
	// whole or not at all.
	txMu sync.RWMutex

	// txRun is held for the whole of a transaction, so that transactions
	// run one at a time and each reads what those before it wrote: two
	// concurrent transactions that each record one transient bounce of
	// an address must not both count from the same records.
	txRun sync.Mutex

	bounces bounceBook
	marks   markBook
	counts  countBook
}

// shard holds the suppressions of the addresses whose hash falls in it.
type shard struct {
	mu     sync.RWMutex
	m      map[string]entry
	filter []uint64 // see filter.go
	stale  int      // addresses removed since the filter was built
}

// entry holds an address's suppressions, one per scope. Most addresses
// have one, kept inline so that it costs no allocation of its own.
type entry struct {
	first store.Suppression
	more  []store.Suppression
}

// get returns the suppression stored under scope.
func (e *entry) get(scope store.Scope) (store.Suppression, bool) {
	if e.first.Scope == scope {
		return e.first, true
	}
	for _, s := range e.more {
		if s.Scope == scope {
			return s, true
		}
	}
	return store.Suppression{}, false
}

// set stores s under its scope, replacing what is there.
func (e *entry) set(s store.Suppression) (added bool) {
	if e.first.Scope == s.Scope {
		e.first = s
		return false
	}
	for i := range e.more {
		if e.more[i].Scope == s.Scope {
			e.more[i] = s
			return false
		}
	}
	e.more = append(e.more, s)
	return true
}

// remove deletes the suppression under scope and reports whether there was
// one, and whether the entry is now empty.
func (e *entry) remove(scope store.Scope) (removed, empty bool) {
	if e.first.Scope == scope {
		if len(e.more) == 0 {
			return true, true
		}
		e.first = e.more[len(e.more)-1]
		e.more = e.more[:len(e.more)-1]
		return true, false
	}
	for i := range e.more {
		if e.more[i].Scope == scope {
			e.more = slices.Delete(e.more, i, i+1)
			return true, false
		}
	}
	return false, false
}

// appendTo appends the entry's suppressions to dst.
func (e *entry) appendTo(dst []store.Suppression) []store.Suppression {
	dst = append(dst, e.first)
	return append(dst, e.more...)
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.BounceCounter = (*Store)(nil)
	_ store.Deduper       = (*Store)(nil)
	_ store.Counter       = (*Store)(nil)
	_ store.Lister        = (*Store)(nil)
	_ store.Purger        = (*Store)(nil)
	_ store.Transactor    = (*Store)(nil)
)

// New returns an empty Store.
func New() *Store {
	s := &Store{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = make(map[string]entry)
	}
	s.bounces.init()
	s.marks.init()
	s.counts.init()
	return s
}

func (s *Store) hash(addr string) uint64 { return maphash.String(s.seed, addr) }

func (s *Store) shard(h uint64) *shard { return &s.shards[h%numShards] }

// Lookup returns the suppressions stored for addrs, in every scope. It
// returns nil when none is stored.
func (s *Store) Lookup(ctx context.Context, addrs []string) ([]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var found []store.Suppression
	var hits hitSet
	for i, a := range addrs {
		h := s.hash(a)
		sh := s.shard(h)
		sh.mu.RLock()
		if sh.mayContain(h) {
			// The entry's suppressions are copied under the lock: a
			// writer changes an entry's array of scopes in place.
			if e, ok := sh.m[a]; ok && !hits.seen(h, a, found) {
				if found == nil {
					found = make([]store.Suppression, 0, len(addrs)-i+len(e.more))
				}
				found = e.appendTo(found)
			}
		}
		sh.mu.RUnlock()
	}
	return found, nil
}

// hitSet remembers the hashes of the addresses Lookup found, so that an
// address asked twice is reported once. Callers rarely repeat one, so the
// check compares hashes, in a small array and then a map, and compares
// addresses only when two hashes are equal.
type hitSet struct {
	small [64]uint64
	n     int
	big   map[uint64]bool
}

// seen reports whether a, of hash h, was found before, and records it.
func (hs *hitSet) seen(h uint64, a string, found []store.Suppression) bool {
	dup := false
	if hs.big != nil {
		dup = hs.big[h]
	} else {
		for _, x := range hs.small[:hs.n] {
			if x == h {
				dup = true
				break
			}
		}
	}
	if dup && slices.ContainsFunc(found, func(f store.Suppression) bool { return f.Address == a }) {
		return true
	}
	switch {
	case hs.big != nil:
		hs.big[h] = true
	case hs.n < len(hs.small):
		hs.small[hs.n] = h
		hs.n++
	default:
		hs.big = make(map[uint64]bool, 4*len(hs.small))
		for _, x := range hs.small {
			hs.big[x] = true
		}
		hs.big[h] = true
	}
	return false
}

// Put stores sup under sup.Key() unless a stronger suppression is stored
// there ([store.Replaces]), and reports whether it was written.
func (s *Store) Put(ctx context.Context, sup store.Suppression) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := validKey(sup.Key()); err != nil {
		return false, fmt.Errorf("memstore: put: %w", err)
	}
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	return s.put(sup), nil
}

// validKey refuses a key that no store could hold.
func validKey(k store.Key) error {
	switch {
	case k.Address == "":
		return fmt.Errorf("empty address: %w", store.ErrInvalid)
	case len(k.Address) > store.MaxAddressLen:
		return fmt.Errorf("address of %d octets: %w", len(k.Address), store.ErrInvalid)
	case len(k.Scope) > store.MaxScopeLen:
		return fmt.Errorf("scope of %d octets: %w", len(k.Scope), store.ErrInvalid)
	}
	return nil
}

// put is Put under the caller's txMu.
func (s *Store) put(sup store.Suppression) bool {
	h := s.hash(sup.Address)
	sh := s.shard(h)
	sh.mu.Lock()
	e, existed := sh.m[sup.Address]
	if existed {
		if cur, ok := e.get(sup.Scope); ok && !store.Replaces(sup, cur) {
			sh.mu.Unlock()
			return false
		}
	}
	added := true
	if existed {
		added = e.set(sup)
	} else {
		e = entry{first: sup}
	}
	sh.m[sup.Address] = e
	if !existed {
		sh.filterAdd(h, s)
	}
	sh.mu.Unlock()
	if added {
		s.keysChanged.Store(true)
	}
	return true
}

// Delete removes the suppression stored under k, if any.
func (s *Store) Delete(ctx context.Context, k store.Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	s.delete(k)
	return nil
}

// delete is Delete under the caller's txMu.
func (s *Store) delete(k store.Key) {
	sh := s.shard(s.hash(k.Address))
	sh.mu.Lock()
	e, ok := sh.m[k.Address]
	removed, empty := false, false
	if ok {
		removed, empty = e.remove(k.Scope)
	}
	switch {
	case empty:
		delete(sh.m, k.Address)
		sh.filterRemoved(1, s)
	case removed:
		sh.m[k.Address] = e
	}
	sh.mu.Unlock()
	if removed {
		s.keysChanged.Store(true)
	}
}

// Len returns the number of suppressions stored, in every scope, expired
// ones included.
func (s *Store) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for _, e := range sh.m {
			n += 1 + len(e.more)
		}
		sh.mu.RUnlock()
	}
	return n
}

// List returns at most limit suppressions whose keys sort after after.
func (s *Store) List(ctx context.Context, after store.Key, limit int) ([]store.Suppression, error) {
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
			for _, e := range sh.m {
				s.sorted = append(s.sorted, e.first.Key())
				for _, m := range e.more {
					s.sorted = append(s.sorted, m.Key())
				}
			}
			sh.mu.RUnlock()
		}
		slices.SortFunc(s.sorted, compareKeys)
	}
	i, found := slices.BinarySearchFunc(s.sorted, after, compareKeys)
	if found {
		i++
	}
	page := make([]store.Suppression, 0, min(limit, len(s.sorted)-i))
	// A key deleted since the index was built is skipped, so keep walking
	// until the page is full or the index ends.
	for ; i < len(s.sorted) && len(page) < limit; i++ {
		k := s.sorted[i]
		sh := s.shard(s.hash(k.Address))
		sh.mu.RLock()
		e, ok := sh.m[k.Address]
		var sup store.Suppression
		if ok {
			sup, ok = e.get(k.Scope)
		}
		sh.mu.RUnlock()
		if ok {
			page = append(page, sup)
		}
	}
	return page, nil
}

func compareKeys(a, b store.Key) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// AddTransientBounce records the transient bounce id of addr at t, once,
// and returns [store.BounceWindow] of addr's records at t.
func (s *Store) AddTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if addr == "" || id == "" {
		return 0, fmt.Errorf("memstore: add transient bounce: empty address or id: %w", store.ErrInvalid)
	}
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	return s.bounces.add(addr, id, t, window), nil
}

// ClearTransientBounces forgets the transient bounces recorded for addr.
func (s *Store) ClearTransientBounces(ctx context.Context, addr string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	s.bounces.clear(addr)
	return nil
}

// Applied reports whether id holds a mark unexpired at t.
func (s *Store) Applied(ctx context.Context, id string, t time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return s.marks.applied(id, t), nil
}

// MarkApplied marks id applied until expires and adds counts, together,
// unless id holds a mark unexpired at t. It reports whether it made the
// mark.
func (s *Store) MarkApplied(ctx context.Context, id string, t, expires time.Time, counts ...store.Count) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if id == "" {
		return false, fmt.Errorf("memstore: mark applied: empty id: %w", store.ErrInvalid)
	}
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	return s.markApplied(id, t, expires, counts), nil
}

// markApplied is MarkApplied under the caller's txMu. The mark and the
// counts are one step: marks.mu is held while the counts are added, so
// no reader of the mark sees it without them.
func (s *Store) markApplied(id string, t, expires time.Time, counts []store.Count) bool {
	return s.marks.mark(id, t, expires, func() {
		for _, c := range counts {
			s.counts.add(c)
		}
	})
}

// AddCount adds c.N to the bucket c.Bucket of c.Name.
func (s *Store) AddCount(ctx context.Context, c store.Count) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	s.counts.add(c)
	return nil
}

// SumCounts returns the sum of name's buckets that start in [from, to).
func (s *Store) SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.counts.sum(name, from, to), nil
}

// Purge removes what expired at or before t and returns the number of
// suppressions removed.
func (s *Store) Purge(ctx context.Context, t time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.txMu.RLock()
	defer s.txMu.RUnlock()
	return s.purge(t), nil
}

// purge is Purge under the caller's txMu.
func (s *Store) purge(t time.Time) int {
	removed := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		gone := 0
		for a, e := range sh.m {
			n, empty := e.purge(t)
			removed += n
			switch {
			case empty:
				delete(sh.m, a)
				gone++
			case n > 0:
				sh.m[a] = e
			}
		}
		if gone > 0 {
			sh.filterRemoved(gone, s)
		}
		sh.mu.Unlock()
	}
	if removed > 0 {
		s.keysChanged.Store(true)
	}
	s.marks.purge(t)
	s.bounces.purge(t)
	s.counts.purge(t)
	return removed
}

// purge removes the entry's suppressions expired at t, reporting how many
// and whether none is left.
func (e *entry) purge(t time.Time) (removed int, empty bool) {
	kept := e.more[:0]
	for _, m := range e.more {
		if m.Expired(t) {
			removed++
		} else {
			kept = append(kept, m)
		}
	}
	clear(e.more[len(kept):])
	e.more = kept
	if e.first.Expired(t) {
		removed++
		if len(e.more) == 0 {
			return removed, true
		}
		e.first = e.more[len(e.more)-1]
		e.more = e.more[:len(e.more)-1]
	}
	return removed, false
}
