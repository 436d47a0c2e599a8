package sesguard

import (
	"context"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
)

// defaultPurgeEvery is Options.PurgeEvery's default.
const defaultPurgeEvery = time.Hour

// housekeeping is the Client's periodic purge, started by the first send
// or application of a notification and stopped by Close.
type housekeeping struct {
	mu      sync.Mutex
	started bool
	closed  bool
	stop    context.CancelFunc
	done    chan struct{}
}

// startHousekeeping starts the periodic purge of Options.PurgeEvery, once.
func (c *Client) startHousekeeping() {
	every := c.opts.PurgeEvery
	if every < 0 {
		return
	}
	if every == 0 {
		every = defaultPurgeEvery
	}
	h := &c.house
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started || h.closed {
		return
	}
	h.started = true
	ctx, cancel := context.WithCancel(context.Background())
	h.stop, h.done = cancel, make(chan struct{})
	c.log.Debug("sesguard: housekeeping started", "every", every)
	go func() {
		defer close(h.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				// Errors are logged by Purge; the next tick tries again.
				_, _ = c.Purge(ctx)
			}
		}
	}()
}

// stopHousekeeping stops the periodic purge and waits for it to end.
func (c *Client) stopHousekeeping() {
	h := &c.house
	h.mu.Lock()
	h.closed = true
	stop, done := h.stop, h.done
	h.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
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
