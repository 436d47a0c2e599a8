// Package faultstore wraps a store.Store so that a chosen call fails,
// takes effect but loses its reply, or takes effect and then panics, as a
// database that goes away, a connection reset after a commit, or a process
// that crashes would. RunApplyMatrix drives the sesguard Client through
// each of these at every step of applying a notification and checks that
// every notification is applied exactly once once it is redelivered.
//
// The wrapper keeps the abilities of the store it wraps, so that the
// Client takes the same path as with the store itself. It supports three
// shapes: a store with every optional ability of package store (memstore,
// sqlstore), one with every ability but store.Transactor (dynamostore),
// and a plain store.Store. New refuses any other.
package faultstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Fault is what happens to a chosen call.
type Fault int

// The faults.
const (
	// Fail: the call fails without taking effect.
	Fail Fault = iota + 1
	// LoseReply: the call takes effect, then returns ErrLostReply, as a
	// commit whose reply a reset connection lost.
	LoseReply
	// Panic: the call takes effect, then panics with ErrPanic, as a
	// process that crashes after a write.
	Panic
)

var faultNames = [...]string{Fail: "fail", LoseReply: "lose-reply", Panic: "panic"}

// String returns "fail", "lose-reply" or "panic".
func (f Fault) String() string {
	if f <= 0 || int(f) >= len(faultNames) {
		return fmt.Sprintf("Fault(%d)", int(f))
	}
	return faultNames[f]
}

// Faults lists every fault, for tables of cases.
var Faults = []Fault{Fail, LoseReply, Panic}

// The errors and panic value of injected faults.
var (
	ErrInjected  = errors.New("faultstore: injected failure")
	ErrLostReply = errors.New("faultstore: injected lost reply")
	ErrPanic     = errors.New("faultstore: injected panic")
)

// Control injects faults into the calls of a wrapped store and records
// them. It is safe for concurrent use.
type Control struct {
	mu     sync.Mutex
	calls  []string
	faults map[int]Fault // call number (1-based, since Clear) →
	nth    map[nthCall]Fault
	count  map[string]int // calls of each method since Clear
}

// nthCall names the n-th call (1-based) of one method.
type nthCall struct {
	op string
	n  int
}

// InjectAt makes the call numbered step (1 for the first call since the
// last Clear, of any method) meet f.
func (c *Control) InjectAt(step int, f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults[step] = f
}

// InjectNth makes the n-th call (1 for the first since the last Clear) of
// the method op meet f, whatever other calls come between: the choice for
// a Client whose unrelated calls (the breaker's reads) depend on timing.
// op is named as Calls names it.
func (c *Control) InjectNth(op string, n int, f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nth[nthCall{op, n}] = f
}

// Clear forgets the calls made and the faults not met, and numbers calls
// from 1 again.
func (c *Control) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = nil
	clear(c.faults)
	clear(c.nth)
	clear(c.count)
}

// Calls returns the methods called since the last Clear, in order; a call
// made inside a transaction is prefixed "tx.".
func (c *Control) Calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// next records a call of op and returns the fault it meets, if any.
func (c *Control) next(op string) Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, op)
	c.count[op]++
	f := c.faults[len(c.calls)]
	delete(c.faults, len(c.calls))
	k := nthCall{op, c.count[op]}
	if nf, ok := c.nth[k]; ok && f == 0 {
		f = nf
	}
	delete(c.nth, k)
	return f
}

// core forwards to one store, through its Control.
type core struct {
	ctl    *Control
	inner  store.Store
	prefix string // "tx." inside a transaction
}

// do runs call as the method op, with the fault it meets.
func (c *core) do(op string, call func() error) error {
	f := c.ctl.next(c.prefix + op)
	if f == Fail {
		return fmt.Errorf("%s: %w", op, ErrInjected)
	}
	err := call()
	switch f {
	case LoseReply:
		if err == nil {
			err = fmt.Errorf("%s: %w", op, ErrLostReply)
		}
	case Panic:
		panic(ErrPanic)
	}
	return err
}

// New wraps inner and returns the wrapper, with the abilities of inner,
// and its Control.
func New(inner store.Store) (store.Store, *Control) {
	ctl := &Control{faults: make(map[int]Fault), nth: make(map[nthCall]Fault), count: make(map[string]int)}
	s, err := wrap(&core{ctl: ctl, inner: inner})
	if err != nil {
		panic(err)
	}
	return s, ctl
}

func wrap(c *core) (store.Store, error) {
	_, bc := c.inner.(store.BounceCounter)
	_, d := c.inner.(store.Deduper)
	_, cn := c.inner.(store.Counter)
	_, l := c.inner.(store.Lister)
	_, p := c.inner.(store.Purger)
	_, tx := c.inner.(store.Transactor)
	all := bc && d && cn && l && p
	switch {
	case all && tx:
		return Full{NoTx{Plain{c}}}, nil
	case all:
		return NoTx{Plain{c}}, nil
	case !bc && !d && !cn && !l && !p && !tx:
		return Plain{c}, nil
	}
	return nil, fmt.Errorf("faultstore: a %T has a mix of abilities that faultstore does not wrap", c.inner)
}

// Plain wraps a store.Store.
type Plain struct{ c *core }

// Lookup calls the wrapped store's.
func (s Plain) Lookup(ctx context.Context, addrs []string) (out []store.Suppression, err error) {
	err = s.c.do("Lookup", func() (err error) {
		out, err = s.c.inner.Lookup(ctx, addrs)
		return err
	})
	return out, err
}

// Put calls the wrapped store's.
func (s Plain) Put(ctx context.Context, v store.Suppression) (written bool, err error) {
	err = s.c.do("Put", func() (err error) {
		written, err = s.c.inner.Put(ctx, v)
		return err
	})
	return written, err
}

// Delete calls the wrapped store's.
func (s Plain) Delete(ctx context.Context, k store.Key) error {
	return s.c.do("Delete", func() error { return s.c.inner.Delete(ctx, k) })
}

// NoTx wraps a store with every optional ability but store.Transactor.
type NoTx struct{ Plain }

// AddTransientBounce calls the wrapped store's.
func (s NoTx) AddTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (n int, err error) {
	err = s.c.do("AddTransientBounce", func() (err error) {
		n, err = s.c.inner.(store.BounceCounter).AddTransientBounce(ctx, addr, id, t, window)
		return err
	})
	return n, err
}

// ClearTransientBounces calls the wrapped store's.
func (s NoTx) ClearTransientBounces(ctx context.Context, addr string) error {
	return s.c.do("ClearTransientBounces", func() error {
		return s.c.inner.(store.BounceCounter).ClearTransientBounces(ctx, addr)
	})
}

// Applied calls the wrapped store's.
func (s NoTx) Applied(ctx context.Context, id string, t time.Time) (ok bool, err error) {
	err = s.c.do("Applied", func() (err error) {
		ok, err = s.c.inner.(store.Deduper).Applied(ctx, id, t)
		return err
	})
	return ok, err
}

// MarkApplied calls the wrapped store's.
func (s NoTx) MarkApplied(ctx context.Context, id string, t, expires time.Time, counts ...store.Count) (made bool, err error) {
	err = s.c.do("MarkApplied", func() (err error) {
		made, err = s.c.inner.(store.Deduper).MarkApplied(ctx, id, t, expires, counts...)
		return err
	})
	return made, err
}

// AddCount calls the wrapped store's.
func (s NoTx) AddCount(ctx context.Context, c store.Count) error {
	return s.c.do("AddCount", func() error { return s.c.inner.(store.Counter).AddCount(ctx, c) })
}

// SumCounts calls the wrapped store's.
func (s NoTx) SumCounts(ctx context.Context, name string, from, to time.Time) (n int64, err error) {
	err = s.c.do("SumCounts", func() (err error) {
		n, err = s.c.inner.(store.Counter).SumCounts(ctx, name, from, to)
		return err
	})
	return n, err
}

// List calls the wrapped store's.
func (s NoTx) List(ctx context.Context, after store.Key, limit int) (page []store.Suppression, err error) {
	err = s.c.do("List", func() (err error) {
		page, err = s.c.inner.(store.Lister).List(ctx, after, limit)
		return err
	})
	return page, err
}

// Purge calls the wrapped store's.
func (s NoTx) Purge(ctx context.Context, t time.Time) (n int, err error) {
	err = s.c.do("Purge", func() (err error) {
		n, err = s.c.inner.(store.Purger).Purge(ctx, t)
		return err
	})
	return n, err
}

// Full wraps a store with every optional ability.
type Full struct{ NoTx }

// InTx calls the wrapped store's, and gives fn the wrapped transaction, so
// that the calls inside it meet faults too. A fault of InTx itself is the
// commit's: Fail runs nothing, LoseReply and Panic come after the commit.
func (s Full) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	return s.c.do("InTx", func() error {
		return s.c.inner.(store.Transactor).InTx(ctx, func(tx store.Store) error {
			w, err := wrap(&core{ctl: s.c.ctl, inner: tx, prefix: "tx."})
			if err != nil {
				return err
			}
			return fn(w)
		})
	})
}

// WithoutTransactor returns s with every optional ability of package
// store but store.Transactor, so that a test runs the Client's path for
// stores that have no transactions. s must have every ability.
func WithoutTransactor(s store.Store) store.Store {
	return withoutTx{s, s.(store.BounceCounter), s.(store.Deduper), s.(store.Counter), s.(store.Lister), s.(store.Purger)}
}

type withoutTx struct {
	store.Store
	store.BounceCounter
	store.Deduper
	store.Counter
	store.Lister
	store.Purger
}
