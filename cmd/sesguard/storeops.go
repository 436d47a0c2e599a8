package main

import (
	"context"
	"slices"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
)

// The store calls of the commands, in one place.

// suppressOne records s through the Client: inForce is the suppression in
// force under its key afterwards, and written reports whether it is s.
func suppressOne(ctx context.Context, c *sesguard.Client, s store.Suppression) (store.Suppression, bool, error) {
	return c.Suppress(ctx, s)
}

// unsuppress lifts addr's suppressions in scopes, or in every scope.
func unsuppress(ctx context.Context, c *sesguard.Client, addr string, scopes []string) error {
	ss := make([]store.Scope, len(scopes))
	for i, s := range scopes {
		ss[i] = store.Scope(s)
	}
	return c.Unsuppress(ctx, addr, ss...)
}

// suppressions returns addr's suppressions in force, in every scope, in
// the order of their keys (the store's Lookup has none).
func suppressions(ctx context.Context, c *sesguard.Client, addr string) ([]store.Suppression, error) {
	ss, err := c.Suppressions(ctx, addr)
	slices.SortFunc(ss, func(a, b store.Suppression) int {
		if a.Key().Less(b.Key()) {
			return -1
		}
		if b.Key().Less(a.Key()) {
			return 1
		}
		return 0
	})
	return ss, err
}

// listPage returns the page of at most limit entries after last (the zero
// Suppression to start).
func listPage(ctx context.Context, l store.Lister, last store.Suppression, limit int) ([]store.Suppression, error) {
	return l.List(ctx, last.Key(), limit)
}

// scopeOf and setScope read and set a suppression's scope.
func scopeOf(s store.Suppression) string { return string(s.Scope) }

func setScope(s *store.Suppression, scope string) error {
	s.Scope = store.Scope(scope)
	return nil
}

// rank orders reasons by strength, as the store contract does.
func rank(r store.Reason) int { return r.Rank() }
