package sesguard

import (
	"context"
	"html/template"
	"net/http"
	"time"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/unsubscribe"
)

// SourceUnsubscribeLink is the Source of the suppressions that
// Client.UnsubscribeHandler records.
const SourceUnsubscribeLink = "list-unsubscribe"

// UnsubscribeHandlerOptions configure Client.UnsubscribeHandler. The zero
// value of every field is a documented default.
type UnsubscribeHandlerOptions struct {
	// Keys verify the tokens. nil: Options.Unsubscribe.Keys. List here
	// every key any send signed with (WithUnsubscribe included), the
	// signing one first.
	Keys *unsubscribe.Keys

	// MaxAge, when positive, refuses (410) a token issued longer ago.
	// 0 (the default): tokens never expire — a link in a two-year-old
	// message must still unsubscribe.
	MaxAge time.Duration

	// OnUnsubscribe, if set, is called after each unsubscribe was
	// recorded, with the token's address (canonical), list and issue
	// time, so that the application can update its own preferences. It
	// runs on the request's goroutine; an error answers 503, and the
	// mailbox provider or the person tries again, so it must be
	// idempotent, as the suppression is.
	OnUnsubscribe func(ctx context.Context, t unsubscribe.Token) error

	// Page renders the confirmation page and the answers; nil:
	// unsubscribe.DefaultPage. See unsubscribe.PageData.
	Page *template.Template
}

// UnsubscribeHandler returns the http.Handler for the HTTPS link that
// Options.Unsubscribe puts in List-Unsubscribe; serve it at
// Options.Unsubscribe.URL. A one-click POST (RFC 8058: the form body
// List-Unsubscribe=One-Click, no cookie, session or CSRF token, the token
// being the credential) records an UNSUBSCRIBE suppression of the token's
// address scoped to its list, store.Scope(list), through
// [Client.Suppress], and answers 200 without a redirect. It blocks the
// next send under ForList(ctx, list) and no other mail: a password reset
// still goes out. A GET shows a confirmation page whose button makes that
// POST, so that link scanners, which follow every link, unsubscribe no
// one. See [unsubscribe.Handler] for every answer: a malformed, forged or
// foreign-key token is refused with 4xx and nothing is written; repeated
// POSTs are harmless, since the store never writes a suppression twice
// over; a store failure answers 503 so that the provider tries again.
//
// Unsubscribes made through SES's own list management (sends with
// ListManagementOptions) reach the Client as Subscription events instead,
// through the SNS handler, and are stored under [ContactListScope].
//
// UnsubscribeHandler panics when there are no keys to verify with: a
// program that serves the link without them is misconfigured.
func (c *Client) UnsubscribeHandler(optFns ...func(*UnsubscribeHandlerOptions)) http.Handler {
	var o UnsubscribeHandlerOptions
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Keys == nil {
		o.Keys = c.opts.Unsubscribe.Keys
	}
	if o.Keys == nil {
		panic("sesguard: UnsubscribeHandler without keys: set Options.Unsubscribe.Keys or UnsubscribeHandlerOptions.Keys")
	}
	return &unsubscribe.Handler{
		Keys:   o.Keys,
		MaxAge: o.MaxAge,
		Now:    c.now,
		Page:   o.Page,
		Logger: c.log,
		Unsubscribe: func(ctx context.Context, t unsubscribe.Token) error {
			_, _, err := c.Suppress(ctx, store.Suppression{
				Address: t.Address,
				Scope:   store.Scope(t.List),
				Reason:  store.ReasonUnsubscribe,
				Detail:  "one-click unsubscribe from a link issued " + t.IssuedAt.Format(time.RFC3339),
				Source:  SourceUnsubscribeLink,
			})
			if err != nil || o.OnUnsubscribe == nil {
				return err
			}
			return o.OnUnsubscribe(ctx, t)
		},
	}
}
