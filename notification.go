package sesguard

import (
	"time"

	"github.com/sesguard/sesguard/sns"
)

// EventType is the type of an SES notification, spelled as SES spells it in
// the notificationType or eventType field.
type EventType string

// The types SES publishes. Identity notifications (the notificationType
// field) are only ever Bounce, Complaint and Delivery; event publishing
// through a configuration set (the eventType field) uses all of them. A
// type SES adds later parses as its own EventType value and is ignored by
// the policy.
const (
	EventBounce           EventType = "Bounce"
	EventComplaint        EventType = "Complaint"
	EventDelivery         EventType = "Delivery"
	EventSend             EventType = "Send"
	EventReject           EventType = "Reject"
	EventRenderingFailure EventType = "Rendering Failure"
	EventDeliveryDelay    EventType = "DeliveryDelay"
	EventSubscription     EventType = "Subscription"
	EventOpen             EventType = "Open"
	EventClick            EventType = "Click"
)

// Notification is one SES notification: what SES published about one sent
// message. Exactly one of the type-specific fields (Bounce, Complaint, ...)
// is set for the known types; none is set for a type the model does not
// know, or when the SNS message was not an SES notification at all.
//
// [Notification.Records] flattens it to one [Record] per affected
// recipient, which is what the suppression policy works on.
type Notification struct {
	// Type is the notificationType or eventType value; empty when the
	// payload was not an SES notification (for instance an SNS
	// SubscriptionConfirmation, or a message someone else published on the
	// topic).
	Type EventType

	// EventPublishing is true when the payload came from a configuration
	// set's event destination (it carries eventType) and false for an
	// identity notification (notificationType).
	EventPublishing bool

	Mail Mail // the original message

	Bounce           *Bounce           // Type Bounce
	Complaint        *Complaint        // Type Complaint
	Delivery         *Delivery         // Type Delivery
	Send             *SendEvent        // Type Send
	Reject           *Reject           // Type Reject
	RenderingFailure *RenderingFailure // Type "Rendering Failure"
	DeliveryDelay    *DeliveryDelay    // Type DeliveryDelay
	Subscription     *Subscription     // Type Subscription
	Open             *Open             // Type Open
	Click            *Click            // Type Click

	// SNS is the envelope the notification arrived in; nil for bare SES
	// JSON (raw message delivery). Whether its signature was verified
	// depends on the path: the HTTP handler always verifies it, [Parse]
	// never does.
	SNS *sns.Envelope

	// Unknown lists, as dotted paths, the fields SES sent that the model
	// does not know (SES reserves the right to add fields) and known fields
	// whose value could not be interpreted, such as a timestamp in an
	// unexpected layout. Neither is an error: the rest of the notification
	// is still decoded and applied.
	Unknown []string
}

// Mail describes the message a notification is about: SES's mail object.
type Mail struct {
	Timestamp        time.Time // when SES accepted the message
	MessageID        string    // the SES message id, as SendEmail returned it
	Source           string    // the envelope sender (MAIL FROM)
	SourceARN        string    // the identity used to send
	SourceIP         string    // the IP address of the caller
	SendingAccountID string    // the AWS account that sent the message
	CallerIdentity   string    // the IAM identity that sent the message
	Destination      []string  // every recipient of the message
	HeadersTruncated bool      // whether Headers was cut short
	Headers          []Header  // the original headers, when configured
	CommonHeaders    CommonHeaders

	// Tags holds the message tags; SES publishes them with event
	// publishing only, including its own (ses:configuration-set,
	// ses:source-ip, ses:from-domain, ses:caller-identity, ...).
	Tags map[string][]string
}

// Header is one original message header.
type Header struct {
	Name  string
	Value string
}

// CommonHeaders holds the decoded common headers of the original message.
type CommonHeaders struct {
	From       []string
	To         []string
	Cc         []string
	Bcc        []string
	Sender     []string
	ReplyTo    []string
	ReturnPath string
	Date       string
	MessageID  string // the Message-ID header, not the SES message id
	Subject    string
}

// BounceType is SES's bounceType.
type BounceType string

// The bounce types SES reports. A Permanent bounce means the address will
// not work; Transient means it might later; Undetermined means SES could
// not tell.
const (
	BouncePermanent    BounceType = "Permanent"
	BounceTransient    BounceType = "Transient"
	BounceUndetermined BounceType = "Undetermined"
)

// Bounce is SES's bounce object.
type Bounce struct {
	Type       BounceType
	SubType    string // e.g. General, NoEmail, Suppressed, OnAccountSuppressionList, MailboxFull
	Recipients []BouncedRecipient
	Timestamp  time.Time
	FeedbackID string // SES's unique id of this bounce

	// RemoteMTAIP is the receiving server's address, when SES reached it.
	RemoteMTAIP string
	// ReportingMTA is the DSN's Reporting-MTA, when a DSN was attached.
	ReportingMTA string
}

// BouncedRecipient is one recipient of a bounce. Action, Status and
// DiagnosticCode come from the DSN and are empty without one.
type BouncedRecipient struct {
	EmailAddress   string
	Action         string // e.g. "failed"
	Status         string // the enhanced status code, e.g. "5.1.1"
	DiagnosticCode string // e.g. "smtp; 550 5.1.1 user unknown"
}

// Complaint is SES's complaint object. UserAgent, FeedbackType and
// ArrivalDate are set only when the receiver attached a feedback report.
type Complaint struct {
	Recipients []ComplainedRecipient
	Timestamp  time.Time
	FeedbackID string // SES's unique id of this complaint

	// SubType is empty, or OnAccountSuppressionList when SES did not send
	// the message because the address is on the account's suppression list.
	SubType string

	UserAgent    string
	FeedbackType string // abuse, auth-failure, fraud, not-spam, other, virus
	ArrivalDate  time.Time
}

// ComplainedRecipient is one recipient who complained (or, since most
// receivers redact the report, one recipient of the complained message).
type ComplainedRecipient struct {
	EmailAddress string
}

// Delivery is SES's delivery object.
type Delivery struct {
	Timestamp      time.Time
	ProcessingTime time.Duration // from SES accepting the message to delivery
	Recipients     []string
	SMTPResponse   string
	ReportingMTA   string
	RemoteMTAIP    string
}

// SendEvent is SES's send object; SES publishes it empty.
type SendEvent struct{}

// Reject is SES's reject object: SES did not try to deliver the message.
type Reject struct {
	Reason string // "Bad content"
}

// RenderingFailure is SES's failure object for a template that could not
// be rendered.
type RenderingFailure struct {
	TemplateName string
	ErrorMessage string
}

// DeliveryDelay is SES's deliveryDelay object: delivery is late but SES
// keeps trying until ExpirationTime.
type DeliveryDelay struct {
	Timestamp         time.Time
	DelayType         string // e.g. MailboxFull, SpamDetected, TransientCommunicationFailure
	ExpirationTime    time.Time
	ReportingMTA      string
	DelayedRecipients []DelayedRecipient
}

// DelayedRecipient is one recipient of a delayed message.
type DelayedRecipient struct {
	EmailAddress   string
	Status         string
	DiagnosticCode string
}

// Open is SES's open object.
type Open struct {
	IPAddress string
	Timestamp time.Time
	UserAgent string
}

// Click is SES's click object.
type Click struct {
	IPAddress string
	Timestamp time.Time
	UserAgent string
	Link      string
	LinkTags  map[string][]string
}

// Subscription is SES's subscription object: a contact changed its
// subscription preferences, for instance through the List-Unsubscribe
// header.
type Subscription struct {
	ContactList         string
	Timestamp           time.Time
	Source              string // e.g. UnsubscribeHeader
	NewTopicPreferences TopicPreferences
	OldTopicPreferences TopicPreferences
}

// TopicPreferences is a contact's subscription state.
type TopicPreferences struct {
	UnsubscribeAll                 bool
	TopicSubscriptionStatus        []TopicStatus
	TopicDefaultSubscriptionStatus []TopicStatus
}

// TopicStatus is a contact's subscription to one topic of a contact list.
type TopicStatus struct {
	TopicName          string
	SubscriptionStatus string // OptIn or OptOut
}

// Record is one affected recipient of a [Notification]: the unit the
// suppression policy decides on.
type Record struct {
	Type    EventType
	Address string // as SES reported it, not canonicalised

	// Bounce and delay details for this recipient; empty for other types.
	Action         string
	Status         string
	DiagnosticCode string

	Notification *Notification // the notification the record came from
}

// Records returns one [Record] per recipient the notification is about:
// the bounced, complained, delivered or delayed recipients for those types,
// and the message's destinations for the others (Send, Reject, Rendering
// Failure, Open, Click, Subscription). A notification of an unknown type,
// or one that is not an SES notification, has no records.
func (n *Notification) Records() []Record {
	var out []Record
	add := func(addr string) *Record {
		out = append(out, Record{Type: n.Type, Address: addr, Notification: n})
		return &out[len(out)-1]
	}
	switch {
	case n.Bounce != nil:
		for _, r := range n.Bounce.Recipients {
			rec := add(r.EmailAddress)
			rec.Action, rec.Status, rec.DiagnosticCode = r.Action, r.Status, r.DiagnosticCode
		}
	case n.Complaint != nil:
		for _, r := range n.Complaint.Recipients {
			add(r.EmailAddress)
		}
	case n.Delivery != nil:
		for _, r := range n.Delivery.Recipients {
			add(r)
		}
	case n.DeliveryDelay != nil:
		for _, r := range n.DeliveryDelay.DelayedRecipients {
			rec := add(r.EmailAddress)
			rec.Status, rec.DiagnosticCode = r.Status, r.DiagnosticCode
		}
	case n.Send != nil, n.Reject != nil, n.RenderingFailure != nil,
		n.Subscription != nil, n.Open != nil, n.Click != nil:
		for _, r := range n.Mail.Destination {
			add(r)
		}
	}
	return out
}

// EventTime returns when the event happened, as SES reports it: the
// timestamp of the bounce, complaint, delivery, delay, open, click or
// subscription; for the other types, when SES accepted the message. It is
// zero when the notification carries no time.
func (n *Notification) EventTime() time.Time {
	switch {
	case n.Bounce != nil:
		return n.Bounce.Timestamp
	case n.Complaint != nil:
		return n.Complaint.Timestamp
	case n.Delivery != nil:
		return n.Delivery.Timestamp
	case n.DeliveryDelay != nil:
		return n.DeliveryDelay.Timestamp
	case n.Open != nil:
		return n.Open.Timestamp
	case n.Click != nil:
		return n.Click.Timestamp
	case n.Subscription != nil:
		return n.Subscription.Timestamp
	}
	return n.Mail.Timestamp
}
