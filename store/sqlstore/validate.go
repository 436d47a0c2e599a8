package sqlstore

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesguard/sesguard/store"
)

// The most bytes each field holds, the same on every dialect. Longer values
// are refused with store.ErrInvalid rather than cut.
const (
	maxAddress = store.MaxAddressLen // RFC 5321: a path holds 256 octets, 254 of them the address
	maxScope   = store.MaxScopeLen
	maxReason  = 64
	maxSource  = 255
	maxDetail  = 65535 // what a MySQL TEXT holds
	maxKey     = 255   // applied-mark ids, bounce ids and counter names
)

// checkText refuses a value the columns cannot hold on every dialect: longer
// than max bytes, not UTF-8 (PostgreSQL refuses it), or holding NUL (neither
// PostgreSQL nor MySQL text keeps it).
func checkText(field, v string, max int, required bool) error {
	switch {
	case required && v == "":
		return fmt.Errorf("empty %s: %w", field, store.ErrInvalid)
	case len(v) > max:
		return fmt.Errorf("%s of %d bytes is longer than the %d the store holds: %w", field, len(v), max, store.ErrInvalid)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s %q is not valid UTF-8: %w", field, v, store.ErrInvalid)
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("%s %q holds a NUL byte: %w", field, v, store.ErrInvalid)
	}
	return nil
}

// storable reports whether a key of at most max bytes could have been
// stored, so that lookups and deletes can pass over keys that cannot match
// instead of sending them to a database that would refuse them.
func storable(key string, max int) bool {
	return checkText("", key, max, true) == nil
}

// checkTime refuses a time outside the years 1 to 9999 (UTC), the range every
// dialect holds. The zero time is allowed where it means "none".
func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%s %v is outside the years 1 to 9999: %w", field, t, store.ErrInvalid)
	}
	return nil
}

// checkSuppression refuses a suppression the store cannot hold unchanged.
func checkSuppression(s store.Suppression) error {
	for _, err := range []error{
		checkText("address", s.Address, maxAddress, true),
		checkText("scope", string(s.Scope), maxScope, false),
		checkText("reason", string(s.Reason), maxReason, false),
		checkText("detail", s.Detail, maxDetail, false),
		checkText("source", s.Source, maxSource, false),
		checkTime("CreatedAt", s.CreatedAt),
		checkTime("ExpiresAt", s.ExpiresAt),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkKey refuses a key (an address, a mark id, a counter name) of more
// than max bytes, and times the store cannot hold.
func checkKey(field, key string, max int, times ...time.Time) error {
	if err := checkText(field, key, max, true); err != nil {
		return err
	}
	for _, t := range times {
		if err := checkTime("time", t); err != nil {
			return err
		}
	}
	return nil
}
