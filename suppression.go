package sesguard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Policy maps SES notifications to suppressions. Its zero value is the
// default policy, every number of which is a field:
//
//   - a Permanent bounce, of any subtype (OnAccountSuppressionList
//     included), suppresses the address with no expiry;
//   - a Transient or Undetermined bounce is counted; the third within 14
//     days suppresses the address for 30 days. A transient bounce whose DSN
//     status says the address itself is bad (5.1.x, 5.4.4: see
//     [DefaultPermanentStatus]) counts as permanent: SES labels some of
//     those Transient;
//   - a Complaint suppresses with no expiry, unless its feedback type is
//     not-spam;
//   - a Delivery clears the address's transient bounces; it never lifts a
//     suppression;
//   - a Subscription event that unsubscribes the contact from everything
//     suppresses as unsubscribed;
//   - Send, Reject, Rendering Failure, DeliveryDelay, Open and Click, and
//     types SES adds later, change nothing.
//
// A suppression never replaces a stronger one: a permanent entry stays,
// whatever comes after it, and an expiring one is replaced only by one that
// lasts longer.
type Policy struct {
	// TransientThreshold is the number of transient or undetermined
	// bounces inside TransientWindow that suppresses an address. Zero: 3.
	// Negative: transient bounces never suppress and are not counted.
	TransientThreshold int

	// TransientWindow is how far back transient bounces count.
	// Zero: 14 days.
	TransientWindow time.Duration

	// TransientSuppression is how long a suppression for transient
	// bounces lasts. Zero: 30 days.
	TransientSuppression time.Duration

	// PermanentStatus reports whether the enhanced status code of a
	// recipient of a Transient or Undetermined bounce (e.g. "5.1.1") means
	// the address is permanently bad. nil: [DefaultPermanentStatus].
	PermanentStatus func(status string) bool

	// SuppressComplaint reports whether a complaint suppresses its
	// recipients. nil: every complaint but one whose feedback type is
	// not-spam.
	SuppressComplaint func(c *Complaint) bool

	// IgnoreUnsubscribes leaves Subscription events unapplied, for
	// senders that manage topic preferences in SES contact lists only.
	IgnoreUnsubscribes bool

	// DedupeWindow is how long an applied record is remembered, so that
	// SNS retries and SQS redeliveries are no-ops. Zero: 14 days, the
	// longest an SQS queue keeps a message.
	DedupeWindow time.Duration

	// OnDecision, if set, is called with every decision, after the store
	// was written. It runs on the goroutine applying the notification and
	// must not block for long.
	OnDecision func(ctx context.Context, d Decision)
}

// withDefaults returns p with its zero fields set to the defaults.
func (p Policy) withDefaults() Policy {
	if p.TransientThreshold == 0 {
		p.TransientThreshold = 3
	}
	if p.TransientWindow <= 0 {
		p.TransientWindow = 14 * 24 * time.Hour
	}
	if p.TransientSuppression <= 0 {
		p.TransientSuppression = 30 * 24 * time.Hour
	}
	if p.PermanentStatus == nil {
		p.PermanentStatus = DefaultPermanentStatus
	}
	if p.SuppressComplaint == nil {
		p.SuppressComplaint = func(c *Complaint) bool { return c.FeedbackType != "not-spam" }
	}
	if p.DedupeWindow <= 0 {
		p.DedupeWindow = 14 * 24 * time.Hour
	}
	return p
}

// DefaultPermanentStatus reports whether an RFC 3463 enhanced status code
// says that the address itself is bad: class 5 with subject 1 (addressing:
// 5.1.1 bad mailbox, 5.1.2 bad domain, 5.1.10 null MX, ...) or 5.4.4 (no
// route to the domain). Mailbox-full, policy and content codes (5.2.x,
// 5.7.x) are not: they can pass.
func DefaultPermanentStatus(status string) bool {
	return strings.HasPrefix(status, "5.1.") || status == "5.4.4"
}

// effect is what the policy wants done for one record.
type effect int

const (
	effectNone effect = iota
	effectSuppress
	effectCount
	effectClear
)

// decide returns the policy's effect for rec, the suppression to write for
// effectSuppress (its Address, CreatedAt and Source filled in later) and,
// in words, why.
func (p *Policy) decide(rec Record) (effect, store.Suppression, string) {
	n := rec.Notification
	switch rec.Type {
	case EventBounce:
		b := n.Bounce
		kind := fmt.Sprintf("%s/%s", b.Type, b.SubType)
		detail := kind
		if rec.DiagnosticCode != "" {
			detail += ": " + rec.DiagnosticCode
		} else if rec.Status != "" {
			detail += ": " + rec.Status
		}
		switch {
		case b.Type == BouncePermanent:
			return effectSuppress, store.Suppression{Reason: store.ReasonBounce, Detail: detail}, kind + " bounce"
		case rec.Status != "" && p.PermanentStatus(rec.Status):
			return effectSuppress, store.Suppression{Reason: store.ReasonBounce, Detail: detail},
				kind + " bounce with permanent status " + rec.Status
		case p.TransientThreshold < 0:
			return effectNone, store.Suppression{}, kind + " bounce: transient bounces are not counted"
		}
		return effectCount, store.Suppression{Reason: store.ReasonSoftBounce, Detail: detail}, kind + " bounce"
	case EventComplaint:
		c := n.Complaint
		ft := c.FeedbackType
		if ft == "" {
			ft = "unspecified"
		}
		if !p.SuppressComplaint(c) {
			return effectNone, store.Suppression{}, "complaint feedback type " + ft + " does not suppress"
		}
		detail := "complaint, feedback type " + ft
		if c.SubType != "" {
			detail += ", " + c.SubType
		}
		return effectSuppress, store.Suppression{Reason: store.ReasonComplaint, Detail: detail}, detail
	case EventDelivery:
		return effectClear, store.Suppression{}, "delivered"
	case EventSubscription:
		s := n.Subscription
		switch {
		case p.IgnoreUnsubscribes:
			return effectNone, store.Suppression{}, "subscription events are ignored"
		case !s.NewTopicPreferences.UnsubscribeAll:
			return effectNone, store.Suppression{}, "topic preferences changed, not unsubscribed from all"
		}
		detail := "unsubscribed from all"
		if s.ContactList != "" {
			detail += " of contact list " + s.ContactList
		}
		if s.Source != "" {
			detail += " via " + s.Source
		}
		return effectSuppress, store.Suppression{Reason: store.ReasonUnsubscribe, Detail: detail}, detail
	}
	return effectNone, store.Suppression{}, string(rec.Type) + " needs no action"
}

// stronger reports whether the suppression in force, old, is at least as
// strong as s at now, so that s must not replace it.
func stronger(old store.Suppression, s store.Suppression, now time.Time) bool {
	switch {
	case old.Expired(now):
		return false
	case old.ExpiresAt.IsZero():
		return true
	case s.ExpiresAt.IsZero():
		return false
	}
	return !old.ExpiresAt.Before(s.ExpiresAt)
}
