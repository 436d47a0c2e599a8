package dynamostore

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/sesguard/sesguard/store"
)

// The most bytes each field holds. Longer values are refused with
// store.ErrInvalid rather than cut. Together they keep an address's item
// under DynamoDB's 400 KB limit for a handful of scopes; maxItem refuses
// the write that would pass it.
const (
	maxReason = 64
	maxSource = 255
	maxDetail = 65535
	maxKey    = 1024 // bounce ids, mark ids and counter names
	maxItem   = 380 << 10
)

// checkText refuses a value the table cannot hold unchanged: longer than
// max bytes or not UTF-8 (DynamoDB strings are UTF-8, and the SDK would
// replace the invalid bytes).
func checkText(field, v string, max int, required bool) error {
	switch {
	case required && v == "":
		return fmt.Errorf("empty %s: %w", field, store.ErrInvalid)
	case len(v) > max:
		return fmt.Errorf("%s of %d bytes is longer than the %d the store holds: %w", field, len(v), max, store.ErrInvalid)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s %q is not valid UTF-8: %w", field, v, store.ErrInvalid)
	}
	return nil
}

// storable reports whether addr could have been stored, so that Lookup and
// Delete pass over addresses that cannot match instead of sending keys
// that DynamoDB would refuse.
func storable(addr string) bool {
	return checkText("address", addr, store.MaxAddressLen, true) == nil
}

// checkTime refuses a time whose Unix nanoseconds do not fit an int64. The
// zero time is allowed where it means "none".
func checkTime(field string, t time.Time) error {
	if t.IsZero() || !t.Before(minTime) && !t.After(maxTime) {
		return nil
	}
	return fmt.Errorf("%s %v is outside the years 1678 to 2262: %w", field, t, store.ErrInvalid)
}

// checkSuppression refuses a suppression the store cannot hold unchanged.
func checkSuppression(s store.Suppression) error {
	for _, err := range []error{
		checkText("address", s.Address, store.MaxAddressLen, true),
		checkText("scope", string(s.Scope), store.MaxScopeLen, false),
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

// checkKey refuses an id or a name the store cannot use in a key, and
// times it cannot hold.
func checkKey(field, key string, times ...time.Time) error {
	if err := checkText(field, key, maxKey, true); err != nil {
		return err
	}
	for _, t := range times {
		if t.IsZero() {
			return fmt.Errorf("zero time: %w", store.ErrInvalid)
		}
		if err := checkTime("time", t); err != nil {
			return err
		}
	}
	return nil
}
