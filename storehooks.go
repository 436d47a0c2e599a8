package sesguard

import (
	"context"
	"time"

	"github.com/sesguard/sesguard/store"
)

//go:generate go run storehooks_gen.go

// hookedStore reports every call to a store to Hooks.Store. The Client
// discovers a store's optional abilities by type assertion, so the value
// that wraps a store must have exactly the abilities of the store it
// wraps: hookStore picks, from storehooks_combos.go, the struct that embeds
// the wrappers of those abilities and no others (as httpsnoop does for
// http.ResponseWriter).
type hookedStore struct {
	inner store.Store
	hook  func(ctx context.Context, op string, d time.Duration, err error)

	bounceCounter store.BounceCounter
	deduper       store.Deduper
	counter       store.Counter
	lister        store.Lister
	purger        store.Purger
	transactor    store.Transactor
}

// hookStore returns s wrapped so that each call is reported to hook, or s
// itself when hook is nil.
func hookStore(s store.Store, hook func(context.Context, string, time.Duration, error)) store.Store {
	if hook == nil {
		return s
	}
	h := &hookedStore{inner: s, hook: hook}
	h.bounceCounter, _ = s.(store.BounceCounter)
	h.deduper, _ = s.(store.Deduper)
	h.counter, _ = s.(store.Counter)
	h.lister, _ = s.(store.Lister)
	h.purger, _ = s.(store.Purger)
	h.transactor, _ = s.(store.Transactor)
	return h.withAbilities()
}

// unwrapStore returns the store that s wraps, or s.
func unwrapStore(s store.Store) store.Store {
	if u, ok := s.(interface{ unwrapStore() store.Store }); ok {
		return u.unwrapStore()
	}
	return s
}

func (s *hookedStore) unwrapStore() store.Store { return s.inner }

// done reports a call to op that started at start (a reading of
// monotonic) and returned *err.
func (s *hookedStore) done(ctx context.Context, op string, start time.Duration, err *error) {
	s.hook(ctx, op, monotonic()-start, *err)
}

// monotonicBase is where monotonic counts from.
var monotonicBase = time.Now()

// monotonic reads the monotonic clock only, which costs about half of
// time.Now (that reads the wall clock too): the store is timed on every
// call.
func monotonic() time.Duration { return time.Since(monotonicBase) }

func (s *hookedStore) Lookup(ctx context.Context, addrs []string) (found []store.Suppression, err error) {
	defer s.done(ctx, "Lookup", monotonic(), &err)
	return s.inner.Lookup(ctx, addrs)
}

func (s *hookedStore) Put(ctx context.Context, sup store.Suppression) (written bool, err error) {
	defer s.done(ctx, "Put", monotonic(), &err)
	return s.inner.Put(ctx, sup)
}

func (s *hookedStore) Delete(ctx context.Context, k store.Key) (err error) {
	defer s.done(ctx, "Delete", monotonic(), &err)
	return s.inner.Delete(ctx, k)
}

// The wrappers of the optional abilities, one per interface.

type hookedBounceCounter struct{ s *hookedStore }

func (h hookedBounceCounter) AddTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (n int, err error) {
	defer h.s.done(ctx, "AddTransientBounce", monotonic(), &err)
	return h.s.bounceCounter.AddTransientBounce(ctx, addr, id, t, window)
}

func (h hookedBounceCounter) ClearTransientBounces(ctx context.Context, addr string) (err error) {
	defer h.s.done(ctx, "ClearTransientBounces", monotonic(), &err)
	return h.s.bounceCounter.ClearTransientBounces(ctx, addr)
}

type hookedDeduper struct{ s *hookedStore }

func (h hookedDeduper) Applied(ctx context.Context, id string, t time.Time) (ok bool, err error) {
	defer h.s.done(ctx, "Applied", monotonic(), &err)
	return h.s.deduper.Applied(ctx, id, t)
}

func (h hookedDeduper) MarkApplied(ctx context.Context, id string, t, expires time.Time, counts ...store.Count) (made bool, err error) {
	defer h.s.done(ctx, "MarkApplied", monotonic(), &err)
	return h.s.deduper.MarkApplied(ctx, id, t, expires, counts...)
}

type hookedCounter struct{ s *hookedStore }

func (h hookedCounter) AddCount(ctx context.Context, c store.Count) (err error) {
	defer h.s.done(ctx, "AddCount", monotonic(), &err)
	return h.s.counter.AddCount(ctx, c)
}

func (h hookedCounter) SumCounts(ctx context.Context, name string, from, to time.Time) (n int64, err error) {
	defer h.s.done(ctx, "SumCounts", monotonic(), &err)
	return h.s.counter.SumCounts(ctx, name, from, to)
}

type hookedLister struct{ s *hookedStore }

func (h hookedLister) List(ctx context.Context, after store.Key, limit int) (page []store.Suppression, err error) {
	defer h.s.done(ctx, "List", monotonic(), &err)
	return h.s.lister.List(ctx, after, limit)
}

type hookedPurger struct{ s *hookedStore }

func (h hookedPurger) Purge(ctx context.Context, t time.Time) (n int, err error) {
	defer h.s.done(ctx, "Purge", monotonic(), &err)
	return h.s.purger.Purge(ctx, t)
}

type hookedTransactor struct{ s *hookedStore }

// InTx reports the transaction as "InTx", and the calls made through it
// under their own names, so the store given to fn is hooked too.
func (h hookedTransactor) InTx(ctx context.Context, fn func(tx store.Store) error) (err error) {
	defer h.s.done(ctx, "InTx", monotonic(), &err)
	return h.s.transactor.InTx(ctx, func(tx store.Store) error { return fn(hookStore(tx, h.s.hook)) })
}
