package sesguard

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sesguard/sesguard/store"
)

// Errors that callers branch on with errors.Is.
var (
	// ErrSuppressed: nothing was sent because every recipient (or, with
	// Options.AllOrNothing, some recipient) is suppressed or was vetoed by a
	// check. The error is a *SuppressedError that says why, per address.
	ErrSuppressed = errors.New("sesguard: recipients suppressed")

	// ErrStoreUnavailable: the suppression store could not be asked, so
	// nothing was sent. The error is a *StoreError wrapping the store's.
	ErrStoreUnavailable = errors.New("sesguard: suppression store unavailable")

	// ErrCheckFailed: a pre-send check could not decide, so nothing was
	// sent. The error is a *CheckError wrapping the check's.
	ErrCheckFailed = errors.New("sesguard: pre-send check failed")

	// ErrNoDefault: the package-level Send was called before SetDefault.
	ErrNoDefault = errors.New("sesguard: no default client: call sesguard.SetDefault first")

	// ErrInvalidMessage: the message's recipients cannot be determined (for
	// instance, unparsable To/Cc/Bcc headers in a raw message without a
	// Destination), so they cannot be checked and nothing was sent.
	ErrInvalidMessage = errors.New("sesguard: invalid message")

	// ErrNoRecipients: no recipient was found in the message — no
	// Destination, and for a raw message no To, Cc or Bcc header that
	// names one (Resent-To and misspelt headers such as "To :" are not
	// read) — so nothing could be checked and nothing was sent.
	// errors.Is(err, ErrInvalidMessage) is true for it too.
	ErrNoRecipients = fmt.Errorf("%w: no recipient found", ErrInvalidMessage)
)

// Skipped is a recipient that sesguard did not mail, and why.
type Skipped struct {
	// Recipient is the address as the caller wrote it, display name and all.
	Recipient string
	// Suppression is the reason: the stored suppression, or, for a recipient
	// vetoed by a check or unparsable, one made up on the spot (Source
	// "check" or "canonical"). Its Address is the canonical form.
	store.Suppression
}

func (s Skipped) String() string {
	var b strings.Builder
	b.WriteString(s.Recipient)
	b.WriteString(" (")
	b.WriteString(string(s.Reason))
	if s.Detail != "" {
		b.WriteString(": ")
		b.WriteString(s.Detail)
	}
	b.WriteByte(')')
	return b.String()
}

// SuppressedError reports a message that was not sent because of its
// recipients. errors.Is(err, ErrSuppressed) is true for it.
type SuppressedError struct {
	// Skipped lists each refused recipient with its reason, in the order
	// the recipients appeared in the message.
	Skipped []Skipped
	// Withheld is the number of recipients that could have been mailed but
	// were not, because Options.AllOrNothing refused the whole message.
	Withheld int
}

func (e *SuppressedError) Error() string {
	var b strings.Builder
	switch {
	case e.Withheld > 0:
		fmt.Fprintf(&b, "sesguard: message not sent to any of its %d recipients because %d are suppressed: ", e.Withheld+len(e.Skipped), len(e.Skipped))
	case len(e.Skipped) == 1:
		b.WriteString("sesguard: recipient suppressed: ")
	default:
		fmt.Fprintf(&b, "sesguard: all %d recipients suppressed: ", len(e.Skipped))
	}
	for i, s := range e.Skipped {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// Is reports whether target is ErrSuppressed.
func (e *SuppressedError) Is(target error) bool { return target == ErrSuppressed }

// StoreError is a failure of the suppression store. errors.Is(err,
// ErrStoreUnavailable) is true for it, and Unwrap returns the store's error.
type StoreError struct {
	Op  string // the store method: "lookup", "put", "delete", …
	Err error
}

func (e *StoreError) Error() string {
	return "sesguard: suppression store " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }

// Is reports whether target is ErrStoreUnavailable.
func (e *StoreError) Is(target error) bool { return target == ErrStoreUnavailable }

// CheckError is a pre-send check that could not decide about an address.
// errors.Is(err, ErrCheckFailed) is true for it, and Unwrap returns the
// check's error.
type CheckError struct {
	Address string // canonical
	Err     error
}

func (e *CheckError) Error() string {
	return "sesguard: pre-send check of " + e.Address + ": " + e.Err.Error()
}

// Unwrap returns the check's error.
func (e *CheckError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCheckFailed.
func (e *CheckError) Is(target error) bool { return target == ErrCheckFailed }
