package sesguard

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

var defaultClient atomic.Pointer[Client]

// SetDefault makes c the Client that the package-level Send uses, like
// slog.SetDefault. It is safe to call concurrently with Send; nil clears it.
func SetDefault(c *Client) { defaultClient.Store(c) }

// Default returns the Client set by SetDefault, or nil.
func Default() *Client { return defaultClient.Load() }

// Send sends through the default Client (see SetDefault). Before SetDefault
// it returns ErrNoDefault and sends nothing.
func Send(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	c := defaultClient.Load()
	if c == nil {
		return nil, ErrNoDefault
	}
	return c.Send(ctx, in, optFns...)
}
