package sesguard

import (
	"context"
	"log/slog"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Options configure a Client. The zero value of every field is a documented
// default, so New(api) alone gives a working guard.
type Options struct {
	// Store keeps the suppression list. nil: a new in-memory store
	// (store/memstore), which lives and dies with the process.
	Store store.Store

	// Checks run, in order, on every recipient before the store is asked;
	// the first that vetoes a recipient removes it. nil: none.
	Checks []Check

	// AllOrNothing refuses the whole message when any recipient is refused.
	// false (the default): refused recipients are removed and the message
	// goes to the rest.
	AllOrNothing bool

	// FailOpen sends without the verdict of a store or check that fails,
	// logging the failure at level Warn. false (the default): such a send
	// fails with a *StoreError or *CheckError and SES is not called.
	FailOpen bool

	// KeepLocalCase keeps the case of an address's local part when
	// canonicalising. false (the default): the local part is lower-cased.
	// Changing it on a populated store orphans entries stored in the other
	// form.
	KeepLocalCase bool

	// OnSkip, if set, is called once per send (or bulk send) that skipped
	// recipients, after the decision and before SES is called, with the
	// skipped recipients. It must not block for long.
	OnSkip func(ctx context.Context, skipped []Skipped)

	// Logger receives the Client's logs. nil: logs are discarded.
	Logger *slog.Logger

	// Now is the Client's clock, used to judge expiry and to stamp records.
	// nil: time.Now.
	Now func() time.Time
}
