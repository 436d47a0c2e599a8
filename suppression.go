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
//   - a Subscription event suppresses as unsubscribed in the scope of its
//     contact list ([ContactListScope]) when the contact unsubscribed from
//     all of it, or in the scope of each topic it opted out of: only mail
//     sent for that list or topic is blocked, transactional mail still
//     goes;
//   - Send, Reject, Rendering Failure, DeliveryDelay, Open and Click, and
//     types SES adds later, change nothing.
//
// A suppression never replaces a stronger one ([store.Replaces]): a
// permanent entry stays, whatever comes after it, and an expiring one is
// replaced only by one that lasts longer.
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
		scopes := unsubscribeScopes(s)
		switch {
		case p.IgnoreUnsubscribes:
			return effectNone, store.Suppression{}, "subscription events are ignored"
		case s.ContactList == "":
			return effectNone, store.Suppression{}, "subscription event names no contact list"
		case len(scopes) == 0:
			return effectNone, store.Suppression{}, "topic preferences changed, no topic opted out of"
		}
		detail := "unsubscribed from contact list " + s.ContactList
		if !s.NewTopicPreferences.UnsubscribeAll {
			detail = fmt.Sprintf("opted out of %d topic(s) of contact list %s", len(scopes), s.ContactList)
		}
		if s.Source != "" {
			detail += " via " + s.Source
		}
		return effectSuppress, store.Suppression{Reason: store.ReasonUnsubscribe, Detail: detail, Scope: scopes[0]}, detail
	}
	return effectNone, store.Suppression{}, string(rec.Type) + " needs no action"
}

// unsubscribeScopes returns the scopes a Subscription event unsubscribes
// its contact from: the contact list's, when the contact unsubscribed from
// all of it, else one per topic whose new status is OptOut. SES sends the
// event when the contact follows a List-Unsubscribe link or header of mail
// sent with ListManagementOptions, or when the contact's topic
// preferences are changed; only mail for that list, or topic, is
// blocked.
func unsubscribeScopes(s *Subscription) []store.Scope {
	if s == nil || s.ContactList == "" {
		return nil
	}
	if s.NewTopicPreferences.UnsubscribeAll {
		return []store.Scope{ContactListScope(s.ContactList, "")}
	}
	var scopes []store.Scope
	for _, ts := range s.NewTopicPreferences.TopicSubscriptionStatus {
		if ts.SubscriptionStatus == "OptOut" && ts.TopicName != "" {
			scopes = append(scopes, ContactListScope(s.ContactList, ts.TopicName))
		}
	}
	return scopes
}
