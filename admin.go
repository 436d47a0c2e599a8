package sesguard

import (
	"context"

	"github.com/sesguard/sesguard/store"
)

// Suppress adds s to the suppression list, replacing any entry for its
// address. s.Address may be in any form Canonical accepts; empty fields get
// defaults: Reason store.ReasonManual, Source "manual", CreatedAt the
// Client's now. A zero ExpiresAt suppresses forever.
func (c *Client) Suppress(ctx context.Context, s store.Suppression) error {
	addr, err := c.Canonical(s.Address)
	if err != nil {
		return err
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
	if err := c.store.Put(ctx, s); err != nil {
		return &StoreError{Op: "put", Err: err}
	}
	c.log.InfoContext(ctx, "sesguard: address suppressed", "address", addr, "reason", s.Reason, "source", s.Source)
	return nil
}

// Unsuppress lifts the suppression of addr, so that it may be mailed again,
// and forgets its transient bounces when the store counts them. Lifting an
// address that is not suppressed is not an error.
func (c *Client) Unsuppress(ctx context.Context, addr string) error {
	canon, err := c.Canonical(addr)
	if err != nil {
		return err
	}
	if err := c.store.Delete(ctx, canon); err != nil {
		return &StoreError{Op: "delete", Err: err}
	}
	if bc, ok := c.store.(store.BounceCounter); ok {
		if err := bc.ClearTransientBounces(ctx, canon); err != nil {
			return &StoreError{Op: "clear transient bounces", Err: err}
		}
	}
	c.log.InfoContext(ctx, "sesguard: suppression lifted", "address", canon)
	return nil
}

// Suppressed reports whether addr is suppressed now, and why. An entry that
// has expired by the Client's clock does not count.
func (c *Client) Suppressed(ctx context.Context, addr string) (store.Suppression, bool, error) {
	canon, err := c.Canonical(addr)
	if err != nil {
		return store.Suppression{}, false, err
	}
	found, err := c.store.Lookup(ctx, []string{canon})
	if err != nil {
		return store.Suppression{}, false, &StoreError{Op: "lookup", Err: err}
	}
	s, ok := found[canon]
	if !ok || s.Expired(c.now()) {
		return store.Suppression{}, false, nil
	}
	return s, true, nil
}
