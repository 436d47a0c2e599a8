package sesguard

import (
	"context"
	"time"

	"github.com/sesguard/sesguard/store"
)

// A Check inspects one canonical recipient address before the store is
// asked. It returns a non-nil *Veto to refuse the recipient, nil to let it
// through, or an error when it could not decide; the Client then fails the
// send with a *CheckError, or, with Options.FailOpen, logs the error and lets
// the recipient through.
//
// Checks are given to a Client in Options.Checks. The verify package provides
// syntax, domain, disposable-domain and typo checks.
type Check func(ctx context.Context, addr string) (*Veto, error)

// Veto refuses one recipient.
type Veto struct {
	// Reason is reported to the caller; "" means store.ReasonInvalid.
	Reason store.Reason
	// Detail says why, e.g. "domain has a null MX (RFC 7505)".
	Detail string
	// Remember, if positive, makes the Client store the veto as a
	// suppression that expires after this long, so the address is refused
	// without being checked again.
	Remember time.Duration
}
