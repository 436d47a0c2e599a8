package sesguard

import (
	"time"

	"github.com/sesguard/sesguard/store"
)

// Action is what the suppression policy did with one [Record].
type Action int

// The actions of the policy.
const (
	// ActionIgnored: nothing written. The record's type needs no action
	// (Send, Open, a not-spam complaint, ...), or the notification is not an
	// SES notification, or its address could not be read.
	ActionIgnored Action = iota

	// ActionSuppressed: the address is suppressed, by this record or
	// already by an entry at least as strong, which was kept.
	ActionSuppressed

	// ActionCounted: a transient bounce was counted, below the threshold.
	ActionCounted

	// ActionCleared: a delivery cleared the address's transient bounces.
	ActionCleared

	// ActionDuplicate: this record was applied before (same SNS message or
	// same SES feedback id) and was skipped.
	ActionDuplicate
)

var actionNames = [...]string{"ignored", "suppressed", "counted", "cleared", "duplicate"}

// String returns the action's name in lower case, e.g. "suppressed".
func (a Action) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return "unknown"
	}
	return actionNames[a]
}

// Decision is the outcome of the policy for one [Record].
type Decision struct {
	Action Action
	Record Record

	// Address is the record's address in canonical form; empty when it
	// could not be canonicalised (then Action is ActionIgnored).
	Address string

	// For ActionSuppressed: the suppression in force after the decision,
	// which may be an earlier, stronger one that was kept.
	Suppression store.Suppression

	// For ActionCounted and ActionSuppressed by transient bounces: the
	// transient bounces counted for the address in the window, this one
	// included.
	Count int

	// Why says in words why the policy decided so, e.g.
	// "Permanent/General bounce" or "complaint feedback type not-spam".
	Why string

	At time.Time // the Client's clock when the decision was made
}
