package main

import (
	"context"
	"errors"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
)

// The store calls of the commands, in one place.

// suppressOne records s through the Client: inForce is the suppression in
// force under its key afterwards, and written reports whether it is s.
func suppressOne(ctx context.Context, c *sesguard.Client, s store.Suppression) (store.Suppression, bool, error) {
	if err := c.Suppress(ctx, s); err != nil {
		return store.Suppression{}, false, err
	}
	return s, true, nil
}

// unsuppress lifts addr's suppressions in scopes, or in every scope.
func unsuppress(ctx context.Context, c *sesguard.Client, addr string, scopes []string) error {
	if len(scopes) > 0 && (len(scopes) > 1 || scopes[0] != "") {
		return errors.New("this store has no scopes")
	}
	return c.Unsuppress(ctx, addr)
}

// suppressions returns addr's suppressions in force.
func suppressions(ctx context.Context, c *sesguard.Client, addr string) ([]store.Suppression, error) {
	s, ok, err := c.Suppressed(ctx, addr)
	if err != nil || !ok {
		return nil, err
	}
	return []store.Suppression{s}, nil
}

// listPage returns the page of at most limit entries after last (the zero
// Suppression to start).
func listPage(ctx context.Context, l store.Lister, last store.Suppression, limit int) ([]store.Suppression, error) {
	return l.List(ctx, last.Address, limit)
}

// scopeOf and setScope read and set a suppression's scope.
func scopeOf(store.Suppression) string { return "" }

func setScope(_ *store.Suppression, scope string) error {
	if scope != "" {
		return errors.New("this store has no scopes")
	}
	return nil
}

// rank orders reasons by strength, as the store contract does.
func rank(r store.Reason) int {
	switch r {
	case store.ReasonSoftBounce, store.ReasonInvalid:
		return 1
	}
	return 2
}
