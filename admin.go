package sesguard

import (
	"context"
	"fmt"

	"github.com/sesguard/sesguard/store"
)

// Suppress adds s to the suppression list, for an operator: s.Address may
// be in any form Canonical accepts; s.Scope is store.ScopeAll (every mail)
// or a list (see [ForList] and [ContactListScope]); empty fields get
// defaults: Reason store.ReasonManual, Source "manual", CreatedAt the
// Client's now. A zero ExpiresAt suppresses forever.
//
// Like every write, Suppress never weakens a suppression in force
// ([store.Replaces]): it returns the suppression in force under s's key
// afterwards, and written reports whether it is s. To lower or lift one,
// call [Client.Unsuppress] first.
func (c *Client) Suppress(ctx context.Context, s store.Suppression) (inForce store.Suppression, written bool, err error) {
	addr, err := c.Canonical(s.Address)
	if err != nil {
		return store.Suppression{}, false, err
	}
	if len(s.Scope) > store.MaxScopeLen {
		return store.Suppression{}, false, fmt.Errorf("sesguard: suppress: scope is %d octets, more than %d: %w", len(s.Scope), store.MaxScopeLen, store.ErrInvalid)
	}
	s.Address = addr
	if s.Reason == "" {
		s.Reason = store.ReasonManual
	}
	if s.Source == "" {
		s.Source = "manual"
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = c.now()
	}
	written, err = c.store.Put(ctx, s)
	if err != nil {
		return store.Suppression{}, false, &StoreError{Op: "put", Err: err}
	}
	if written {
		c.log.InfoContext(ctx, "sesguard: address suppressed", "address", addr, "scope", s.Scope, "reason", s.Reason, "source", s.Source)
		return s, true, nil
	}
	found, err := c.store.Lookup(ctx, []string{addr})
	if err != nil {
		return store.Suppression{}, false, &StoreError{Op: "lookup", Err: err}
	}
	for _, f := range found {
		if f.Key() == s.Key() {
			inForce = f
		}
	}
	c.log.InfoContext(ctx, "sesguard: suppression kept; a stronger one is in force", "address", addr, "scope", s.Scope, "reason", inForce.Reason)
	return inForce, false, nil
}

// Unsuppress lifts the suppressions of addr in scopes, so that it may be
// mailed again; with no scopes, in every scope it has. Lifting the
// account-wide suppression (store.ScopeAll, or every scope) also forgets
// the address's transient bounces. Lifting a suppression that does not
// exist is not an error. Only Unsuppress lifts or lowers a suppression:
// every other write keeps the stronger one.
func (c *Client) Unsuppress(ctx context.Context, addr string, scopes ...store.Scope) error {
	canon, err := c.Canonical(addr)
	if err != nil {
		return err
	}
	if len(scopes) == 0 {
		found, err := c.store.Lookup(ctx, []string{canon})
		if err != nil {
			return &StoreError{Op: "lookup", Err: err}
		}
		scopes = []store.Scope{store.ScopeAll}
		for _, f := range found {
			if f.Scope != store.ScopeAll {
				scopes = append(scopes, f.Scope)
			}
		}
	}
	clearBounces := false
	for _, scope := range scopes {
		if err := c.store.Delete(ctx, store.Key{Address: canon, Scope: scope}); err != nil {
			return &StoreError{Op: "delete", Err: err}
		}
		clearBounces = clearBounces || scope == store.ScopeAll
	}
	if clearBounces {
		bc, ok := c.store.(store.BounceCounter)
		if !ok {
			bc = c.aux
		}
		if err := bc.ClearTransientBounces(ctx, canon); err != nil {
			return &StoreError{Op: "clear transient bounces", Err: err}
		}
	}
	c.log.InfoContext(ctx, "sesguard: suppression lifted", "address", canon, "scopes", scopes)
	return nil
}

// Suppressions returns the suppressions of addr in force now, in every
// scope: none when it may be mailed. An entry that has expired by the
// Client's clock is not returned.
func (c *Client) Suppressions(ctx context.Context, addr string) ([]store.Suppression, error) {
	canon, err := c.Canonical(addr)
	if err != nil {
		return nil, err
	}
	found, err := c.store.Lookup(ctx, []string{canon})
	if err != nil {
		return nil, &StoreError{Op: "lookup", Err: err}
	}
	now := c.now()
	var out []store.Suppression
	for _, f := range found {
		if !f.Expired(now) {
			out = append(out, f)
		}
	}
	return out, nil
}
