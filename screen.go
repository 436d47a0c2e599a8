package sesguard

import (
	"context"
	"slices"
	"time"

	"github.com/sesguard/sesguard/store"
)

// screen decides which of rs may be mailed by a send that scopes block
// (see sendScopes): it runs the checks on each distinct canonical address,
// asks the store about the rest in one call, and returns the refusals
// keyed by canonical address (nil when there are none). Recipients without
// a canonical form are not in the map; see refusal.
func (c *Client) screen(ctx context.Context, rs []recipient, scopes []store.Scope) (map[string]store.Suppression, error) {
	addrs := distinct(rs)
	if len(addrs) == 0 {
		return nil, nil
	}
	now := c.now()
	var refused map[string]store.Suppression
	refuse := func(s store.Suppression) {
		if refused == nil {
			refused = make(map[string]store.Suppression, len(addrs))
		}
		refused[s.Address] = s
	}

	if len(c.opts.Checks) > 0 {
		unvetoed := addrs[:0:0]
		for _, a := range addrs {
			s, vetoed, err := c.runChecks(ctx, a, now)
			if err != nil {
				return nil, err
			}
			if vetoed {
				refuse(s)
			} else {
				unvetoed = append(unvetoed, a)
			}
		}
		addrs = unvetoed
		if len(addrs) == 0 {
			return refused, nil
		}
	}

	found, err := c.store.Lookup(ctx, addrs)
	if err != nil {
		if !c.opts.FailOpen {
			return nil, &StoreError{Op: "lookup", Err: err}
		}
		c.log.WarnContext(ctx, "sesguard: suppression store failed; sending unchecked (FailOpen)",
			"recipients", len(addrs), "err", err)
		return refused, nil
	}
	for _, s := range found {
		if s.Expired(now) || !slices.Contains(scopes, s.Scope) {
			continue
		}
		// Of an address's suppressions that block this send, the
		// account-wide one is reported, else the first list's.
		if old, ok := refused[s.Address]; ok && scopeRank(scopes, old.Scope) <= scopeRank(scopes, s.Scope) {
			continue
		}
		refuse(s)
	}
	return refused, nil
}

// scopeRank is the place of scope in scopes.
func scopeRank(scopes []store.Scope, scope store.Scope) int {
	return slices.Index(scopes, scope)
}

// distinct returns the distinct canonical addresses of rs, in order.
func distinct(rs []recipient) []string {
	addrs := make([]string, 0, len(rs))
	if len(rs) <= 16 {
		for _, r := range rs {
			if r.err == nil && !slices.Contains(addrs, r.canon) {
				addrs = append(addrs, r.canon)
			}
		}
		return addrs
	}
	seen := make(map[string]bool, len(rs))
	for _, r := range rs {
		if r.err == nil && !seen[r.canon] {
			seen[r.canon] = true
			addrs = append(addrs, r.canon)
		}
	}
	return addrs
}

// runChecks runs the Client's checks on addr until one vetoes it.
func (c *Client) runChecks(ctx context.Context, addr string, now time.Time) (store.Suppression, bool, error) {
	for _, check := range c.opts.Checks {
		v, err := check(ctx, addr)
		if err != nil {
			if !c.opts.FailOpen {
				return store.Suppression{}, false, &CheckError{Address: addr, Err: err}
			}
			c.log.WarnContext(ctx, "sesguard: pre-send check failed; letting the recipient through (FailOpen)",
				"address", addr, "err", err)
			continue
		}
		if v == nil {
			continue
		}
		s := store.Suppression{Address: addr, Reason: v.Reason, Detail: v.Detail, Source: "check", CreatedAt: now}
		if s.Reason == "" {
			s.Reason = store.ReasonInvalid
		}
		if v.Remember > 0 {
			// Put never weakens: a veto remembered over a stronger
			// suppression leaves that one in force.
			s.ExpiresAt = now.Add(v.Remember)
			if _, err := c.store.Put(ctx, s); err != nil {
				c.log.WarnContext(ctx, "sesguard: could not remember a vetoed address", "address", addr, "err", err)
			}
		}
		return s, true, nil
	}
	return store.Suppression{}, false, nil
}

// refusal reports whether r is refused, and why.
func (c *Client) refusal(r recipient, refused map[string]store.Suppression) (store.Suppression, bool) {
	if r.err != nil {
		return store.Suppression{
			Address:   r.addr,
			Reason:    store.ReasonInvalid,
			Detail:    r.err.Error(),
			Source:    "canonical",
			CreatedAt: c.now(),
		}, true
	}
	s, ok := refused[r.canon]
	return s, ok
}

// keeper returns a func that reports whether a recipient is not refused.
func (c *Client) keeper(refused map[string]store.Suppression) func(recipient) bool {
	return func(r recipient) bool {
		_, no := c.refusal(r, refused)
		return !no
	}
}

// skippedOf lists the refused recipients of rs, each distinct address once,
// in message order, and counts the recipients that remain.
func (c *Client) skippedOf(rs []recipient, refused map[string]store.Suppression) (skipped []Skipped, kept int) {
	for _, r := range rs {
		s, ok := c.refusal(r, refused)
		if !ok {
			kept++
			continue
		}
		if !slices.ContainsFunc(skipped, func(k Skipped) bool { return k.Address == s.Address }) {
			skipped = append(skipped, Skipped{Recipient: r.addr, Suppression: s})
		}
	}
	return skipped, kept
}

// reportSkips tells the logger and the OnSkip hook about skipped recipients.
func (c *Client) reportSkips(ctx context.Context, skipped []Skipped) {
	for _, s := range skipped {
		c.log.DebugContext(ctx, "sesguard: recipient skipped", "address", s.Address, "reason", s.Reason, "detail", s.Detail)
	}
	if c.opts.OnSkip != nil {
		c.opts.OnSkip(ctx, skipped)
	}
}
