package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sesguard/sesguard/store"
)

// InTx calls fn with a Store whose writes are buffered, and applies them
// when fn returns nil, all under the Store's lock, so that no reader sees
// part of them and no other write comes between them. When fn returns an
// error or panics, or ctx is done when it returns, nothing is applied.
// Transactions run one at a time, so that what one reads (a transient
// bounce count, a mark) includes every transaction committed before it.
// fn must not call InTx of the same Store.
//
// Reads through tx see its own writes. The writes are judged again when
// they are applied, in order, with the rules of Put and MarkApplied, so a
// write made concurrently outside the transaction is never weakened and a
// notification marked concurrently is not counted twice.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.txRun.Lock()
	defer s.txRun.Unlock()
	tx := &txStore{s: s, puts: make(map[store.Key]txPut), marks: make(map[string]time.Time)}
	err := fn(tx)
	tx.done = true
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.txMu.Lock()
	defer s.txMu.Unlock()
	for _, op := range tx.ops {
		op()
	}
	return nil
}

// errTxDone is returned by a transaction's Store used after InTx returned.
var errTxDone = errors.New("memstore: transaction already ended")

// txStore is the Store given to an InTx callback: a log of writes to apply
// at commit, and overlays through which its reads see them.
type txStore struct {
	s    *Store
	done bool
	ops  []func()

	puts    map[store.Key]txPut  // the key's state after the tx's writes
	marks   map[string]time.Time // marks made
	counts  []store.Count        // counts added
	bounces map[string]*txBounces
}

// txPut is a key's state after the transaction's writes: a suppression,
// or deleted.
type txPut struct {
	sup     store.Suppression
	deleted bool
}

// txBounces are the transaction's changes to one address's bounces.
type txBounces struct {
	cleared bool
	ids     []string
	times   []time.Time
}

var (
	_ store.Store         = (*txStore)(nil)
	_ store.BounceCounter = (*txStore)(nil)
	_ store.Deduper       = (*txStore)(nil)
	_ store.Counter       = (*txStore)(nil)
	_ store.Lister        = (*txStore)(nil)
	_ store.Purger        = (*txStore)(nil)
)

func (tx *txStore) check(ctx context.Context) error {
	if tx.done {
		return errTxDone
	}
	return ctx.Err()
}

// current returns the suppression under k as the transaction sees it.
func (tx *txStore) current(k store.Key) (store.Suppression, bool) {
	if p, ok := tx.puts[k]; ok {
		return p.sup, !p.deleted
	}
	sh := tx.s.shard(tx.s.hash(k.Address))
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	e, ok := sh.m[k.Address]
	if !ok {
		return store.Suppression{}, false
	}
	return e.get(k.Scope)
}

func (tx *txStore) Lookup(ctx context.Context, addrs []string) ([]store.Suppression, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	base, err := tx.s.Lookup(ctx, addrs)
	if err != nil || len(tx.puts) == 0 {
		return base, err
	}
	out := base[:0:0]
	for _, b := range base {
		if _, ok := tx.puts[b.Key()]; !ok {
			out = append(out, b)
		}
	}
	for k, p := range tx.puts {
		if !p.deleted && slices.Contains(addrs, k.Address) {
			out = append(out, p.sup)
		}
	}
	return out, nil
}

func (tx *txStore) Put(ctx context.Context, sup store.Suppression) (bool, error) {
	if err := tx.check(ctx); err != nil {
		return false, err
	}
	if err := validKey(sup.Key()); err != nil {
		return false, fmt.Errorf("memstore: put: %w", err)
	}
	if cur, ok := tx.current(sup.Key()); ok && !store.Replaces(sup, cur) {
		return false, nil
	}
	tx.puts[sup.Key()] = txPut{sup: sup}
	tx.ops = append(tx.ops, func() { tx.s.put(sup) })
	return true, nil
}

func (tx *txStore) Delete(ctx context.Context, k store.Key) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	tx.puts[k] = txPut{deleted: true}
	tx.ops = append(tx.ops, func() { tx.s.delete(k) })
	return nil
}

func (tx *txStore) AddTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (int, error) {
	if err := tx.check(ctx); err != nil {
		return 0, err
	}
	if addr == "" || id == "" {
		return 0, fmt.Errorf("memstore: add transient bounce: empty address or id: %w", store.ErrInvalid)
	}
	if tx.bounces == nil {
		tx.bounces = make(map[string]*txBounces)
	}
	b := tx.bounces[addr]
	if b == nil {
		b = &txBounces{}
		tx.bounces[addr] = b
	}
	var ids []string
	var times []time.Time
	if !b.cleared {
		ids, times = tx.s.bounces.records(addr)
	}
	ids, times = append(ids, b.ids...), append(times, b.times...)
	if !slices.Contains(ids, id) {
		b.ids, b.times = append(b.ids, id), append(b.times, t)
		times = append(times, t)
		tx.ops = append(tx.ops, func() { tx.s.bounces.add(addr, id, t, window) })
	}
	return store.BounceWindow(times, t, window), nil
}

func (tx *txStore) ClearTransientBounces(ctx context.Context, addr string) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	if tx.bounces == nil {
		tx.bounces = make(map[string]*txBounces)
	}
	tx.bounces[addr] = &txBounces{cleared: true}
	tx.ops = append(tx.ops, func() { tx.s.bounces.clear(addr) })
	return nil
}

func (tx *txStore) Applied(ctx context.Context, id string, t time.Time) (bool, error) {
	if err := tx.check(ctx); err != nil {
		return false, err
	}
	if exp, ok := tx.marks[id]; ok && exp.After(t) {
		return true, nil
	}
	return tx.s.marks.applied(id, t), nil
}

func (tx *txStore) MarkApplied(ctx context.Context, id string, t, expires time.Time, counts ...store.Count) (bool, error) {
	if err := tx.check(ctx); err != nil {
		return false, err
	}
	if id == "" {
		return false, fmt.Errorf("memstore: mark applied: empty id: %w", store.ErrInvalid)
	}
	if applied, _ := tx.Applied(ctx, id, t); applied {
		return false, nil
	}
	tx.marks[id] = expires
	tx.counts = append(tx.counts, counts...)
	counts = slices.Clone(counts)
	tx.ops = append(tx.ops, func() { tx.s.markApplied(id, t, expires, counts) })
	return true, nil
}

func (tx *txStore) AddCount(ctx context.Context, c store.Count) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	tx.counts = append(tx.counts, c)
	tx.ops = append(tx.ops, func() { tx.s.counts.add(c) })
	return nil
}

func (tx *txStore) SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error) {
	if err := tx.check(ctx); err != nil {
		return 0, err
	}
	sum := tx.s.counts.sum(name, from, to)
	for _, c := range tx.counts {
		if c.Name == name && !c.Bucket.Before(from) && c.Bucket.Before(to) {
			sum += c.N
		}
	}
	return sum, nil
}

// List merges the store's page with the transaction's writes. At most
// len(tx.puts) of the store's entries can be hidden by them, so a page
// that long beyond limit is enough.
func (tx *txStore) List(ctx context.Context, after store.Key, limit int) ([]store.Suppression, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	base, err := tx.s.List(ctx, after, limit+len(tx.puts))
	if err != nil {
		return nil, err
	}
	page := base[:0:0]
	for _, b := range base {
		if _, ok := tx.puts[b.Key()]; !ok {
			page = append(page, b)
		}
	}
	for k, p := range tx.puts {
		if !p.deleted && after.Less(k) {
			page = append(page, p.sup)
		}
	}
	slices.SortFunc(page, func(a, b store.Suppression) int { return compareKeys(a.Key(), b.Key()) })
	if len(base) == limit+len(tx.puts) && len(page) > 0 {
		// The store has more beyond base: the page may only reach as far
		// as base did.
		last := base[len(base)-1].Key()
		n := 0
		for n < len(page) && !last.Less(page[n].Key()) {
			n++
		}
		page = page[:n]
	}
	return page[:min(limit, len(page))], nil
}

// Purge removes, at commit, what has expired at t. It returns the number
// of suppressions that the transaction sees expired now.
func (tx *txStore) Purge(ctx context.Context, t time.Time) (int, error) {
	if err := tx.check(ctx); err != nil {
		return 0, err
	}
	n := 0
	for i := range tx.s.shards {
		sh := &tx.s.shards[i]
		sh.mu.RLock()
		for _, e := range sh.m {
			for _, sup := range e.appendTo(nil) {
				if _, mine := tx.puts[sup.Key()]; !mine && sup.Expired(t) {
					n++
				}
			}
		}
		sh.mu.RUnlock()
	}
	for k, p := range tx.puts {
		if !p.deleted && p.sup.Expired(t) {
			n++
			tx.puts[k] = txPut{deleted: true}
		}
	}
	tx.ops = append(tx.ops, func() { tx.s.purge(t) })
	return n, nil
}
