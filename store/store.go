// Package store defines the suppression list that sesguard consults before
// every send and updates from SES notifications.
//
// A [Store] has three methods: [Store.Lookup], [Store.Put] and [Store.Delete].
// That is all a custom store must implement. Further abilities — counting
// transient bounces, remembering applied notifications, shared counters,
// listing and purging — are optional interfaces ([BounceCounter], [Deduper],
// [Counter], [Lister], [Purger]) that the sesguard Client discovers with a
// type assertion, the way net/http discovers [http.Flusher]. A store that
// implements one of them must do so atomically across every process that
// shares it; a store that cannot should not implement it, and the Client
// falls back to in-process bookkeeping.
//
// Addresses reach a Store already in sesguard's canonical form (see
// sesguard.Canonical); a Store compares them byte for byte and never
// rewrites them.
//
// A Store needs no clock. Expiry is decided by the caller: every method that
// must judge it is given the time, and the Client ignores a [Suppression]
// whose ExpiresAt has passed by its own clock.
//
// The package store/storetest holds a conformance suite that every Store,
// in-tree or third-party, should pass.
package store

import (
	"context"
	"errors"
	"time"
)

// Reason says why an address is suppressed.
type Reason string

// The reasons sesguard records. Stores keep a Reason as an opaque string and
// must round-trip values not listed here.
const (
	ReasonBounce      Reason = "BOUNCE"      // permanent bounce
	ReasonSoftBounce  Reason = "SOFT_BOUNCE" // transient bounces past the policy's threshold
	ReasonComplaint   Reason = "COMPLAINT"
	ReasonUnsubscribe Reason = "UNSUBSCRIBE"
	ReasonInvalid     Reason = "INVALID" // failed a pre-send check
	ReasonManual      Reason = "MANUAL"
)

// Suppression is one entry of the suppression list: the address may not be
// mailed until ExpiresAt (or ever, when ExpiresAt is zero).
type Suppression struct {
	Address   string    // canonical form
	Reason    Reason    // why it is suppressed
	Detail    string    // e.g. "Permanent/General: smtp; 550 5.1.1 user unknown"
	Source    string    // e.g. the notification id, "manual", "ses-account-list"
	CreatedAt time.Time // when the suppression was made
	ExpiresAt time.Time // zero: never
}

// Expired reports whether s has expired at t. A zero ExpiresAt never expires;
// otherwise s expires at the instant ExpiresAt.
func (s Suppression) Expired(t time.Time) bool {
	return !s.ExpiresAt.IsZero() && !t.Before(s.ExpiresAt)
}

// Store keeps the suppression list. Implementations must be safe for
// concurrent use by multiple goroutines, and must honour ctx: a cancelled or
// expired ctx makes a method return an error that wraps ctx.Err() or one of
// the store's own errors.
type Store interface {
	// Lookup returns the stored suppressions among addrs, keyed by address;
	// an address with none is simply absent. One round trip for the whole
	// slice. addrs may hold duplicates and unknown addresses; neither is an
	// error. The returned map may be nil when nothing matched, and the caller
	// owns it. Expired entries may be returned: the caller judges expiry.
	Lookup(ctx context.Context, addrs []string) (map[string]Suppression, error)

	// Put inserts or replaces the suppression for s.Address. Every field
	// round-trips; times keep their instant (not necessarily their location)
	// to at least millisecond precision.
	Put(ctx context.Context, s Suppression) error

	// Delete removes the suppression for addr; a missing one is not an error.
	Delete(ctx context.Context, addr string) error
}

// BounceCounter is an optional ability: counting transient bounces per
// address inside a sliding window, atomically across processes.
type BounceCounter interface {
	// AddTransientBounce records one transient bounce for addr at t and
	// returns how many are recorded for addr in the window (t-window, t],
	// this one included. Concurrent calls for one address all count: n calls
	// at the same t leave the count at n.
	AddTransientBounce(ctx context.Context, addr string, t time.Time, window time.Duration) (int, error)

	// ClearTransientBounces forgets every transient bounce recorded for addr.
	// Clearing an address with none is not an error.
	ClearTransientBounces(ctx context.Context, addr string) error
}

// Deduper is an optional ability: remembering which notifications were
// applied, so that a duplicate delivery is a no-op across processes.
type Deduper interface {
	// Claim records id as applied until expires and reports whether this call
	// made the claim. It returns false when id is already claimed by a claim
	// that has not expired at t (expires after t). Of concurrent claims of
	// one id, exactly one returns true.
	Claim(ctx context.Context, id string, t, expires time.Time) (bool, error)

	// Release removes the claim on id, so that a notification whose effects
	// could not be written can be applied again when it is redelivered.
	// Releasing an unclaimed id is not an error.
	Release(ctx context.Context, id string) error
}

// Counter is an optional ability: named counters kept in time buckets and
// shared between processes, such as the recipients sent, bounced and
// complained that the reputation breaker watches.
type Counter interface {
	// AddCount adds n to the bucket of name that starts at bucket. The
	// bucket may be purged once keepUntil has passed.
	AddCount(ctx context.Context, name string, bucket time.Time, n int64, keepUntil time.Time) error

	// SumCounts returns the sum of name's buckets that start in [from, to).
	// A name with no buckets sums to zero.
	SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error)
}

// Lister is an optional ability: listing the suppression list page by page,
// for export and administration.
type Lister interface {
	// List returns at most limit suppressions whose addresses sort after the
	// address after, in ascending byte order. Pass "" to start and the last
	// address of a page to continue; a page shorter than limit is the last.
	// Expired entries may be listed: the caller judges expiry.
	List(ctx context.Context, after string, limit int) ([]Suppression, error)
}

// Purger is an optional ability: removing what has expired.
type Purger interface {
	// Purge removes every suppression whose non-zero ExpiresAt is at or
	// before t, and whatever else the store keeps that expired by t
	// (claims, transient-bounce records, count buckets). It returns the
	// number of suppressions removed.
	Purge(ctx context.Context, t time.Time) (int, error)
}

// ErrInvalid is returned (wrapped) by a Store for an argument it cannot
// store: an empty address, a Reason or field longer than the store holds.
var ErrInvalid = errors.New("store: invalid argument")
