// Package store defines the suppression list that sesguard consults before
// every send and updates from SES notifications.
//
// A [Store] has three methods: [Store.Lookup], [Store.Put] and [Store.Delete].
// That is all a custom store must implement. Further abilities — counting
// transient bounces, remembering applied notifications, shared counters,
// listing, purging and transactions — are optional interfaces
// ([BounceCounter], [Deduper], [Counter], [Lister], [Purger], [Transactor])
// that the sesguard Client discovers with a type assertion, the way net/http
// discovers [http.Flusher]. A store that implements one of them must do so
// atomically across every process that shares it; a store that cannot
// should not implement it, and the Client falls back to in-process
// bookkeeping.
//
// # Keys and scopes
//
// A suppression is kept per [Key]: a canonical address and a [Scope].
// Bounces and complaints are account-wide ([ScopeAll]); an unsubscribe
// belongs to the list it was made for, and blocks only mail sent for that
// list. One address may so hold several suppressions, one per scope.
//
// # Never weaker
//
// [Store.Put] never replaces a suppression with a weaker one: [Replaces]
// is the rule, and a store applies it atomically across processes (one
// conditional upsert in SQL, a conditional write in DynamoDB, the shard
// lock in memory). Only [Store.Delete] lifts or lowers a suppression.
//
// # Exactly once
//
// The Client applies a notification's effects first — each of them
// idempotent: Put never weakens, [BounceCounter.AddTransientBounce] records
// a bounce once per id — and marks it applied after, with
// [Deduper.MarkApplied], which adds the notification's counts in the same
// atomic step. A crash or a lost reply anywhere before the mark leaves the
// notification unmarked, and its redelivery applies it again without
// counting anything twice.
//
// Addresses reach a Store already in sesguard's canonical form (see
// sesguard.Canonical, at most [MaxAddressLen] octets); a Store compares
// them byte for byte and never rewrites them.
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
	"slices"
	"time"
)

// The longest values every Store must hold. sesguard.Canonical refuses a
// longer address (RFC 5321: 64-octet local part, 254 octets in all), and
// the Client refuses a longer scope, so that no notification carries a key
// that a store cannot write.
const (
	MaxAddressLen = 254
	MaxScopeLen   = 255
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

// Rank orders reasons by strength for [Replaces]: SOFT_BOUNCE and INVALID,
// which a later event may contradict, rank 1; every other reason, those
// listed here and any a store round-trips without knowing it, ranks 2.
func (r Reason) Rank() int {
	switch r {
	case ReasonSoftBounce, ReasonInvalid:
		return 1
	}
	return 2
}

// Scope says which mail a suppression blocks. [ScopeAll], the empty scope,
// blocks all mail; any other scope names a list and blocks only mail sent
// for that list. Stores keep a Scope as an opaque string of at most
// [MaxScopeLen] octets.
type Scope string

// ScopeAll is the scope of bounces, complaints and every suppression that
// is not about one list.
const ScopeAll Scope = ""

// Key names one suppression: an address in one scope.
type Key struct {
	Address string // canonical form
	Scope   Scope
}

// Less orders keys by address, then scope, byte by byte: the order of
// [Lister.List].
func (k Key) Less(o Key) bool {
	if k.Address != o.Address {
		return k.Address < o.Address
	}
	return k.Scope < o.Scope
}

// Suppression is one entry of the suppression list: the address may not be
// mailed, within Scope, until ExpiresAt (or ever, when ExpiresAt is zero).
type Suppression struct {
	Address   string    // canonical form
	Scope     Scope     // ScopeAll or a list
	Reason    Reason    // why it is suppressed
	Detail    string    // e.g. "Permanent/General: smtp; 550 5.1.1 user unknown"
	Source    string    // e.g. the notification id, "manual", "ses-account-list"
	CreatedAt time.Time // when the suppression was made
	ExpiresAt time.Time // zero: never
}

// Key returns the key s is stored under.
func (s Suppression) Key() Key { return Key{Address: s.Address, Scope: s.Scope} }

// Expired reports whether s has expired at t. A zero ExpiresAt never expires;
// otherwise s expires at the instant ExpiresAt.
func (s Suppression) Expired(t time.Time) bool {
	return !s.ExpiresAt.IsZero() && !t.Before(s.ExpiresAt)
}

// Replaces reports whether next may replace cur, the suppression stored
// under the same key: when cur has expired at next.CreatedAt, or when next
// is at least as strong on both counts — its reason ranks no lower
// ([Reason.Rank]) and it lasts no shorter (permanent beats expiring, a
// later expiry beats an earlier one). Every Store's Put applies this rule.
func Replaces(next, cur Suppression) bool {
	if cur.Expired(next.CreatedAt) {
		return true
	}
	if next.Reason.Rank() < cur.Reason.Rank() {
		return false
	}
	switch {
	case next.ExpiresAt.IsZero():
		return true
	case cur.ExpiresAt.IsZero():
		return false
	}
	return !next.ExpiresAt.Before(cur.ExpiresAt)
}

// Store keeps the suppression list. Implementations must be safe for
// concurrent use by multiple goroutines, and must honour ctx: a cancelled or
// expired ctx makes a method return an error that wraps ctx.Err() or one of
// the store's own errors.
type Store interface {
	// Lookup returns the stored suppressions of addrs, in every scope, in
	// no particular order. One round trip for the whole slice (or as few as
	// the backend allows). addrs may hold duplicates and unknown addresses;
	// neither is an error, and no suppression is returned twice. Expired
	// entries may be returned: the caller judges expiry.
	Lookup(ctx context.Context, addrs []string) ([]Suppression, error)

	// Put stores s under s.Key() unless the suppression stored there is
	// stronger ([Replaces] reports false), atomically: of concurrent Puts
	// to one key, the strongest stays, whatever their order. It reports
	// whether s was written. Every field round-trips; times keep their
	// instant (not necessarily their location) to at least millisecond
	// precision.
	Put(ctx context.Context, s Suppression) (written bool, err error)

	// Delete removes the suppression stored under k; a missing one is not
	// an error.
	Delete(ctx context.Context, k Key) error
}

// BounceCounter is an optional ability: counting transient bounces per
// address, atomically across processes and idempotently per bounce.
type BounceCounter interface {
	// AddTransientBounce records the transient bounce id of addr at t,
	// once: recording an id that is already recorded for addr changes
	// nothing. It returns [BounceWindow] of the times recorded for addr
	// (this one included) at t: the most bounces that any window of length
	// window holding t holds, so that bounces delivered late or out of
	// order count with their neighbours. Records may be forgotten once they
	// are older than twice the window at the latest t seen.
	AddTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (int, error)

	// ClearTransientBounces forgets every transient bounce recorded for addr.
	// Clearing an address with none is not an error.
	ClearTransientBounces(ctx context.Context, addr string) error
}

// BounceWindow returns the most of times that any window [s, s+window)
// holding t holds. times are the times recorded for one address, this
// bounce's included; t counts once if times lacks it, so the result is at
// least 1. times need not be sorted; it is not modified.
func BounceWindow(times []time.Time, t time.Time, window time.Duration) int {
	near := make([]time.Time, 0, len(times)+1)
	seen := false
	for _, u := range times {
		if d := u.Sub(t); d > -window && d < window {
			near = append(near, u)
			seen = seen || u.Equal(t)
		}
	}
	if !seen {
		near = append(near, t)
	}
	slices.SortFunc(near, time.Time.Compare)
	best, hi := 0, 0
	for lo := range near {
		if near[lo].After(t) {
			break
		}
		for hi < len(near) && near[hi].Sub(near[lo]) < window {
			hi++
		}
		best = max(best, hi-lo)
	}
	return max(best, 1) // a window of zero length holds t alone
}

// Count is an amount added to one time bucket of a named counter.
type Count struct {
	Name      string
	Bucket    time.Time // the bucket's start
	N         int64
	KeepUntil time.Time // the bucket may be purged once this has passed
}

// Deduper is an optional ability: remembering which notifications were
// applied, so that a redelivery is a no-op across processes, and counting
// each notification exactly once.
type Deduper interface {
	// Applied reports whether id is marked applied by a mark that has not
	// expired at t.
	Applied(ctx context.Context, id string, t time.Time) (bool, error)

	// MarkApplied marks id applied until expires and, in the same atomic
	// step, adds counts — only when id holds no mark unexpired at t. It
	// reports whether this call made the mark; of concurrent calls for one
	// id, exactly one does, and the counts are added exactly once. A store
	// that implements MarkApplied with counts implements [Counter] too.
	MarkApplied(ctx context.Context, id string, t, expires time.Time, counts ...Count) (bool, error)
}

// Counter is an optional ability: named counters kept in time buckets and
// shared between processes, such as the recipients sent, bounced and
// complained that the reputation breaker watches. A store should spread a
// hot bucket over several rows or items, so that concurrent adds do not
// queue on one lock.
type Counter interface {
	// AddCount adds c.N to the bucket c.Bucket of c.Name.
	AddCount(ctx context.Context, c Count) error

	// SumCounts returns the sum of name's buckets that start in [from, to).
	// A name with no buckets sums to zero.
	SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error)
}

// Lister is an optional ability: listing the suppression list page by page,
// for export and administration.
type Lister interface {
	// List returns at most limit suppressions whose keys sort after the key
	// after ([Key.Less]), in ascending order. Pass the zero Key to start and
	// the key of a page's last entry to continue; a page shorter than limit
	// is the last. Expired entries may be listed: the caller judges expiry.
	List(ctx context.Context, after Key, limit int) ([]Suppression, error)
}

// Purger is an optional ability: removing what has expired.
type Purger interface {
	// Purge removes every suppression whose non-zero ExpiresAt is at or
	// before t, and whatever else the store keeps that expired by t
	// (applied marks, transient-bounce records, count buckets). It returns
	// the number of suppressions removed.
	Purge(ctx context.Context, t time.Time) (int, error)
}

// Transactor is an optional ability: applying many writes in one
// transaction, as the SQS consumer does for a batch of notifications.
type Transactor interface {
	// InTx calls fn with a Store whose writes commit together when fn
	// returns nil and are rolled back when it returns an error or panics
	// (the panic then continues). The Store given to fn has every optional
	// ability the receiver has except Transactor, and must not be used
	// after fn returns.
	InTx(ctx context.Context, fn func(tx Store) error) error
}

// ErrInvalid is returned (wrapped) by a Store for an argument it cannot
// store: an empty address, an address, scope, Reason or field longer than
// the store holds.
var ErrInvalid = errors.New("store: invalid argument")
