package sesguard

import (
	"context"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
)

// defaultPurgeEvery is Options.PurgeEvery's default.
const defaultPurgeEvery = time.Hour

// housekeeping is the Client's periodic purge. It keeps no goroutine
// between purges: the send or application of a notification that finds
// Options.PurgeEvery passed since the last purge (or since New), by the
// Client's clock, starts one purge in the background.
type housekeeping struct {
	mu      sync.Mutex
	last    time.Time // when the last purge began, or New ran
	running bool
	closed  bool
	wg      sync.WaitGroup
}

// purgeTimeout bounds one background purge.
const purgeTimeout = 5 * time.Minute

// housekeep starts a purge in the background when one is due and none is
// under way.
func (c *Client) housekeep() {
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
	if h.closed || h.running || now.Sub(h.last) < every {
		h.mu.Unlock()
		return
	}
	h.running, h.last = true, now
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), purgeTimeout)
		defer cancel()
		// Purge logs its failure; the next one due tries again.
		_, _ = c.Purge(ctx)
		h.mu.Lock()
		h.running = false
		h.mu.Unlock()
	}()
}

// stopHousekeeping starts no more purges and waits for one under way.
func (c *Client) stopHousekeeping() {
	h := &c.house
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.wg.Wait()
}

// Purge removes what has expired by the Client's clock: suppressions,
// applied marks, transient-bounce records and the reputation breaker's old
// counts, from the store when it implements [store.Purger] and from the
// Client's in-process bookkeeping. It returns the number of suppressions
// removed from the store, and logs it at level Debug (a failure at Warn).
// The Client calls it every Options.PurgeEvery; call it yourself to purge
// at other times.
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
	c.log.DebugContext(ctx, "sesguard: expired entries purged", "suppressions", n)
	return n, nil
}
