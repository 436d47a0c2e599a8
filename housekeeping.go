package sesguard

import (
	"context"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
)

// defaultPurgeEvery is Options.PurgeEvery's default.
const defaultPurgeEvery = time.Hour

// housekeeping is the Client's periodic purge. It keeps no goroutine: the
// send or application of a notification that finds Options.PurgeEvery
// passed since the last purge, by the Client's clock, purges first, with
// its own context, so that the purge logs and fails where the caller can
// see it and ends with the call.
type housekeeping struct {
	mu      sync.Mutex
	last    time.Time // when the last purge began; zero before the first
	running bool
	closed  bool
}

// housekeep purges when a purge is due and none is under way.
func (c *Client) housekeep(ctx context.Context) {
	every := c.opts.PurgeEvery
	if every < 0 {
		return
	}
	if every == 0 {
		every = defaultPurgeEvery
	}
	now := c.now()
	h := &c.house
	h.mu.Lock()
	if h.closed || h.running || !h.last.IsZero() && now.Sub(h.last) < every {
		h.mu.Unlock()
		return
	}
	h.running, h.last = true, now
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.running = false
		h.mu.Unlock()
	}()
	// Purge logs its failure; the next one due tries again.
	_, _ = c.Purge(ctx)
}

// stopHousekeeping starts no more purges.
func (c *Client) stopHousekeeping() {
	h := &c.house
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
}

// Purge removes what has expired by the Client's clock: suppressions,
// applied marks, transient-bounce records and the reputation breaker's old
// counts, from the store when it implements [store.Purger] and from the
// Client's in-process bookkeeping. It returns the number of suppressions
// removed from the store. The Client calls it every Options.PurgeEvery;
// call it yourself to purge at other times.
func (c *Client) Purge(ctx context.Context) (int, error) {
	now := c.now()
	n := 0
	if p, ok := c.store.(store.Purger); ok {
		var err error
		if n, err = p.Purge(ctx, now); err != nil {
			c.log.WarnContext(ctx, "sesguard: purge of expired entries failed", "err", err)
			return 0, &StoreError{Op: "purge", Err: err}
		}
	}
	if c.aux != nil {
		if _, err := c.aux.Purge(ctx, now); err != nil {
			return n, &StoreError{Op: "purge", Err: err}
		}
	}
	c.log.InfoContext(ctx, "sesguard: expired entries purged", "suppressions", n)
	return n, nil
}
