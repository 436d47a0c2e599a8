package sesguard

import "context"

// ObserveBounces and ObserveComplaints feed the reputation breaker the way
// the notification policy does, for the external tests.
func ObserveBounces(ctx context.Context, c *Client, n int) error {
	return c.observeReputation(ctx, signalBounce, n)
}

func ObserveComplaints(ctx context.Context, c *Client, n int) error {
	return c.observeReputation(ctx, signalComplaint, n)
}
