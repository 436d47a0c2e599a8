package sesguard

import (
	"context"
	"time"

	"golang.org/x/time/rate"

	"github.com/sesguard/sesguard/store"
)

// ObserveBounces and ObserveComplaints feed the reputation breaker the way
// the notification policy does, for the external tests.
func ObserveBounces(ctx context.Context, c *Client, n int) error {
	return c.observeReputation(ctx, signalBounce, n)
}

func ObserveComplaints(ctx context.Context, c *Client, n int) error {
	return c.observeReputation(ctx, signalComplaint, n)
}

// Suppressed returns the account-wide suppression of addr in force, for
// the tests written before scopes.
func Suppressed(ctx context.Context, c *Client, addr string) (store.Suppression, bool, error) {
	in, err := c.Suppressions(ctx, addr)
	for _, s := range in {
		if s.Scope == store.ScopeAll {
			return s, true, err
		}
	}
	return store.Suppression{}, false, err
}

// AdaptRateOn is AdaptRate on the given clock.
func AdaptRateOn(l *rate.Limiter, now func() time.Time, sleep func(context.Context, time.Duration) error) *RateLimiter {
	return adaptRate(l, now, sleep)
}

// StoreInUse returns the store the Client calls: with Hooks.Store, the
// wrapper of the store it was given.
func StoreInUse(c *Client) store.Store { return c.store }
