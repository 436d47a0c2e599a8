package sesguard

import (
	"context"

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

// StoreInUse returns the store the Client calls: with Hooks.Store, the
// wrapper of the store it was given.
func StoreInUse(c *Client) store.Store { return c.store }
