// Package storetest is a conformance suite for implementations of
// [store.Store], in the spirit of testing/slogtest.
//
// A store's test calls [Run] with a function that returns a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return mystore.New() })
//	}
//
// Every case is a subtest named after the rule it checks, so a failure says
// which rule the store broke. Cases for the optional abilities
// (BounceCounter, Deduper, Counter, Lister, Purger, Transactor) run when the
// store implements them and are skipped, with a message, when it does not.
// A store that genuinely cannot meet one case (a backend whose
// transactions cannot read their own writes, say) passes [Skip] with the
// case's name and the reason, which the test log then shows.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Option changes how [Run] runs the suite.
type Option func(*config)

type config struct {
	skip map[string]string
}

// Skip skips the case named name (without the "Run/" prefix, e.g.
// "TransactorReadsItsOwnWrites") and logs why. Use it only where the
// backend cannot do what the case asks, and say so in why.
func Skip(name, why string) Option {
	return func(c *config) { c.skip[name] = why }
}

// Run runs the conformance suite. newStore is called once per subtest and
// must return an empty store that no other subtest uses; it may register
// cleanups on t.
func Run(t *testing.T, newStore func(t *testing.T) store.Store, opts ...Option) {
	t.Helper()
	cfg := config{skip: make(map[string]string)}
	for _, o := range opts {
		o(&cfg)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if why, ok := cfg.skip[c.name]; ok {
				t.Skip("skipped by the store's test: " + why)
			}
			c.fn(t, newStore(t))
		})
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// cases is every case, in the order they run; the files of this package
// add theirs by concern.
var cases = concat(basicCases, weakenCases, scopeCases, bounceCases, dedupeCases, listCases, purgeCases, txCases)

func concat(lists ...[]testCase) []testCase {
	var all []testCase
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// epoch is a fixed instant the cases compute times from, so that no case
// depends on the wall clock.
var epoch = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func bg() context.Context { return context.Background() }

func sup(addr string, r store.Reason) store.Suppression {
	return store.Suppression{
		Address:   addr,
		Reason:    r,
		Detail:    "detail for " + addr,
		Source:    "storetest",
		CreatedAt: epoch,
	}
}

func scoped(addr string, scope store.Scope, r store.Reason) store.Suppression {
	s := sup(addr, r)
	s.Scope = scope
	s.Detail += " in " + string(scope)
	return s
}

func put(t *testing.T, s store.Store, v store.Suppression) bool {
	t.Helper()
	written, err := s.Put(bg(), v)
	if err != nil {
		t.Fatalf("Put(%q, %q): %v", v.Address, v.Scope, err)
	}
	return written
}

func mustPut(t *testing.T, s store.Store, v store.Suppression) {
	t.Helper()
	if !put(t, s, v) {
		t.Fatalf("Put(%q, %q) into an empty key reported not written", v.Address, v.Scope)
	}
}

// lookup returns what Lookup returned, keyed, failing on a key returned
// twice.
func lookup(t *testing.T, s store.Store, addrs ...string) map[store.Key]store.Suppression {
	t.Helper()
	got, err := s.Lookup(bg(), addrs)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", addrs, err)
	}
	m := make(map[store.Key]store.Suppression, len(got))
	for _, g := range got {
		if _, dup := m[g.Key()]; dup {
			t.Errorf("Lookup returned %q in scope %q twice", g.Address, g.Scope)
		}
		m[g.Key()] = g
	}
	return m
}

// get returns the suppression of addr in ScopeAll.
func get(t *testing.T, s store.Store, addr string) (store.Suppression, bool) {
	t.Helper()
	v, ok := lookup(t, s, addr)[store.Key{Address: addr}]
	return v, ok
}

// sameTime reports whether a and b are the same instant to a millisecond.
func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	d := a.Sub(b)
	return d > -time.Millisecond && d < time.Millisecond
}

func same(got, want store.Suppression) bool {
	return got.Address == want.Address && got.Scope == want.Scope && got.Reason == want.Reason &&
		got.Detail == want.Detail && got.Source == want.Source &&
		sameTime(got.CreatedAt, want.CreatedAt) && sameTime(got.ExpiresAt, want.ExpiresAt)
}

func checkSame(t *testing.T, got, want store.Suppression) {
	t.Helper()
	if !same(got, want) {
		t.Errorf("stored %+v\nreturned %+v", want, got)
	}
}
