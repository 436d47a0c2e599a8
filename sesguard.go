package sesguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
	"github.com/sesguard/sesguard/unsubscribe"
)

// SESv2API is the part of *sesv2.Client that sesguard calls; *sesv2.Client
// satisfies it, and so does a *Client, so a Client can stand wherever the
// SDK client stood.
type SESv2API interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	SendBulkEmail(ctx context.Context, in *sesv2.SendBulkEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendBulkEmailOutput, error)
	GetAccount(ctx context.Context, in *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

var (
	_ SESv2API = (*sesv2.Client)(nil)
	_ SESv2API = (*Client)(nil)
)

// Client guards an SES v2 client: every send is checked against the
// suppression list (and the configured checks) before SES is called. Create
// one with New; a Client is safe for concurrent use by multiple goroutines.
type Client struct {
	api   SESv2API
	store store.Store
	opts  Options
	log   *slog.Logger
	now   func() time.Time

	// Pace, quota and reputation (guard.go).
	sleep       func(context.Context, time.Duration) error
	pace        *pacer
	quota       *dailyQuota
	account     *account
	breaker     *breaker
	retries     int
	backoffBase time.Duration

	notify notifyState // applying notifications: see apply.go

	// aux stands in, in this process, for the abilities the store lacks
	// (store.BounceCounter, store.Deduper, store.Counter); nil when it
	// has them all.
	aux *memstore.Store

	house housekeeping // periodic purges: see housekeeping.go

	links *unsubscribe.Links // from Options.Unsubscribe; nil without a URL
}

// New returns a Client that sends through api. With no optFns it keeps an
// in-memory suppression list, runs no checks, drops suppressed recipients
// and sends to the rest, fails closed when it cannot check, and logs nothing.
func New(api SESv2API, optFns ...func(*Options)) (*Client, error) {
	if api == nil {
		return nil, errors.New("sesguard: New: nil SESv2API")
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	c := &Client{api: api, opts: o, store: o.Store, log: o.Logger, now: o.Now}
	if c.store == nil {
		c.store = memstore.New()
	}
	c.store = hookStore(c.store, o.Hooks.Store)
	_, bounces := c.store.(store.BounceCounter)
	_, dedupes := c.store.(store.Deduper)
	_, counts := c.store.(store.Counter)
	if !bounces || !dedupes || !counts {
		c.aux = memstore.New()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	links, err := checkUnsubscribe(o.Unsubscribe)
	if err != nil {
		return nil, fmt.Errorf("sesguard: New: Options.Unsubscribe: %w", err)
	}
	c.links = links
	c.house.last = c.now() // the first purge is due PurgeEvery from now
	if err := c.initGuard(); err != nil {
		return nil, err
	}
	return c, nil
}

// Store returns the suppression store the Client consults.
func (c *Client) Store() store.Store { return unwrapStore(c.store) }

// GetAccount calls SES's GetAccount unchanged; it is here so that a Client
// satisfies SESv2API.
func (c *Client) GetAccount(ctx context.Context, in *sesv2.GetAccountInput, optFns ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	return c.api.GetAccount(ctx, in, optFns...)
}
