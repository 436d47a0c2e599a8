package sesguard

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// errNotSES reports a JSON object without notificationType or eventType:
// something other than an SES notification.
var errNotSES = errors.New("not an SES notification: neither notificationType nor eventType is set")

// The wire form of SES notifications, decoded by
// github.com/go-json-experiment/json (encoding/json/v2): names match
// exactly, a repeated name is an error, and every object keeps the
// members the model does not know in its unknown field, so that they can
// be reported in Notification.Unknown. Timestamps and flags are decoded
// as they come and interpreted afterwards, since SES and its examples
// spell them more than one way.

type unknownWire = map[string]jsontext.Value

type sesWire struct {
	NotificationType string             `json:"notificationType"`
	EventType        string             `json:"eventType"`
	Mail             mailWire           `json:"mail"`
	Bounce           *bounceWire        `json:"bounce"`
	Complaint        *complaintWire     `json:"complaint"`
	Delivery         *deliveryWire      `json:"delivery"`
	Send             *emptyWire         `json:"send"`
	Reject           *rejectWire        `json:"reject"`
	Failure          *failureWire       `json:"failure"`
	DeliveryDelay    *deliveryDelayWire `json:"deliveryDelay"`
	Subscription     *subscriptionWire  `json:"subscription"`
	Open             *openWire          `json:"open"`
	Click            *clickWire         `json:"click"`
	Unknown          unknownWire        `json:",embed"`
}

type mailWire struct {
	Timestamp        string              `json:"timestamp"`
	MessageID        string              `json:"messageId"`
	Source           string              `json:"source"`
	SourceARN        string              `json:"sourceArn"`
	SourceIP         string              `json:"sourceIp"`
	SendingAccountID string              `json:"sendingAccountId"`
	CallerIdentity   string              `json:"callerIdentity"`
	Destination      []string            `json:"destination"`
	HeadersTruncated jsontext.Value      `json:"headersTruncated"`
	Headers          []headerWire        `json:"headers"`
	CommonHeaders    *commonHeadersWire  `json:"commonHeaders"`
	Tags             map[string][]string `json:"tags"`
	Unknown          unknownWire         `json:",embed"`
}

type headerWire struct {
	Name    string      `json:"name"`
	Value   string      `json:"value"`
	Unknown unknownWire `json:",embed"`
}

type commonHeadersWire struct {
	From       []string    `json:"from"`
	To         []string    `json:"to"`
	Cc         []string    `json:"cc"`
	Bcc        []string    `json:"bcc"`
	Sender     []string    `json:"sender"`
	ReplyTo    []string    `json:"replyTo"`
	ReturnPath string      `json:"returnPath"`
	Date       string      `json:"date"`
	MessageID  string      `json:"messageId"`
	Subject    string      `json:"subject"`
	Unknown    unknownWire `json:",embed"`
}

type bounceWire struct {
	BounceType    string                 `json:"bounceType"`
	BounceSubType string                 `json:"bounceSubType"`
	Recipients    []bouncedRecipientWire `json:"bouncedRecipients"`
	Timestamp     string                 `json:"timestamp"`
	FeedbackID    string                 `json:"feedbackId"`
	RemoteMTAIP   string                 `json:"remoteMtaIp"`
	ReportingMTA  string                 `json:"reportingMTA"`
	Unknown       unknownWire            `json:",embed"`
}

type bouncedRecipientWire struct {
	EmailAddress   string      `json:"emailAddress"`
	Action         string      `json:"action"`
	Status         string      `json:"status"`
	DiagnosticCode string      `json:"diagnosticCode"`
	Unknown        unknownWire `json:",embed"`
}

type complaintWire struct {
	Recipients   []emailWire `json:"complainedRecipients"`
	Timestamp    string      `json:"timestamp"`
	FeedbackID   string      `json:"feedbackId"`
	SubType      string      `json:"complaintSubType"`
	UserAgent    string      `json:"userAgent"`
	FeedbackType string      `json:"complaintFeedbackType"`
	ArrivalDate  string      `json:"arrivalDate"`
	Unknown      unknownWire `json:",embed"`
}

type emailWire struct {
	EmailAddress string      `json:"emailAddress"`
	Unknown      unknownWire `json:",embed"`
}

type deliveryWire struct {
	Timestamp            string      `json:"timestamp"`
	ProcessingTimeMillis float64     `json:"processingTimeMillis"`
	Recipients           []string    `json:"recipients"`
	SMTPResponse         string      `json:"smtpResponse"`
	ReportingMTA         string      `json:"reportingMTA"`
	RemoteMTAIP          string      `json:"remoteMtaIp"`
	Unknown              unknownWire `json:",embed"`
}

type emptyWire struct {
	Unknown unknownWire `json:",embed"`
}

type rejectWire struct {
	Reason  string      `json:"reason"`
	Unknown unknownWire `json:",embed"`
}

type failureWire struct {
	TemplateName string      `json:"templateName"`
	ErrorMessage string      `json:"errorMessage"`
	Unknown      unknownWire `json:",embed"`
}

type deliveryDelayWire struct {
	Timestamp         string                 `json:"timestamp"`
	DelayType         string                 `json:"delayType"`
	ExpirationTime    string                 `json:"expirationTime"`
	ReportingMTA      string                 `json:"reportingMTA"`
	DelayedRecipients []delayedRecipientWire `json:"delayedRecipients"`
	Unknown           unknownWire            `json:",embed"`
}

type delayedRecipientWire struct {
	EmailAddress   string      `json:"emailAddress"`
	Status         string      `json:"status"`
	DiagnosticCode string      `json:"diagnosticCode"`
	Unknown        unknownWire `json:",embed"`
}

type subscriptionWire struct {
	ContactList         string                `json:"contactList"`
	Timestamp           string                `json:"timestamp"`
	Source              string                `json:"source"`
	NewTopicPreferences *topicPreferencesWire `json:"newTopicPreferences"`
	OldTopicPreferences *topicPreferencesWire `json:"oldTopicPreferences"`
	Unknown             unknownWire           `json:",embed"`
}

type topicPreferencesWire struct {
	UnsubscribeAll                 jsontext.Value    `json:"unsubscribeAll"`
	TopicSubscriptionStatus        []topicStatusWire `json:"topicSubscriptionStatus"`
	TopicDefaultSubscriptionStatus []topicStatusWire `json:"topicDefaultSubscriptionStatus"`
	Unknown                        unknownWire       `json:",embed"`
}

type topicStatusWire struct {
	TopicName          string      `json:"topicName"`
	SubscriptionStatus string      `json:"subscriptionStatus"`
	Unknown            unknownWire `json:",embed"`
}

type openWire struct {
	IPAddress string      `json:"ipAddress"`
	Timestamp string      `json:"timestamp"`
	UserAgent string      `json:"userAgent"`
	Unknown   unknownWire `json:",embed"`
}

type clickWire struct {
	IPAddress string              `json:"ipAddress"`
	Timestamp string              `json:"timestamp"`
	UserAgent string              `json:"userAgent"`
	Link      string              `json:"link"`
	LinkTags  map[string][]string `json:"linkTags"`
	Unknown   unknownWire         `json:",embed"`
}

// decodeSES decodes bare SES JSON: the Message of an SNS notification, or
// the body that raw message delivery sends. It accepts both the
// identity-notification format (notificationType) and the
// event-publishing format (eventType), and tolerates fields and types it
// does not know (they are listed in Notification.Unknown). errNotSES
// (unwrapped) means the JSON is an object without a type field.
//
// Every string of the result is a copy, so nothing in it keeps data
// alive.
func decodeSES(data []byte) (*Notification, error) {
	var w sesWire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	if w.NotificationType != "" && w.EventType != "" && w.NotificationType != w.EventType {
		return nil, fmt.Errorf("notificationType %q and eventType %q disagree", w.NotificationType, w.EventType)
	}
	d := sesDecoder{n: &Notification{Type: EventType(w.NotificationType)}}
	if w.EventType != "" {
		d.n.Type, d.n.EventPublishing = EventType(w.EventType), true
	}
	if d.n.Type == "" {
		return nil, errNotSES
	}
	d.unknown("", w.Unknown)
	if err := d.mail(&w.Mail); err != nil {
		return nil, err
	}
	if err := d.event(&w); err != nil {
		return nil, err
	}
	if len(d.n.Unknown) > 0 {
		slices.Sort(d.n.Unknown)
		d.n.Unknown = slices.Compact(d.n.Unknown)
	}
	return d.n, nil
}

// sesDecoder turns the wire form into the model.
type sesDecoder struct {
	n *Notification
}

// unknown reports the members of an object that the model does not know,
// as dotted paths below path.
func (d *sesDecoder) unknown(path string, u unknownWire) {
	for name := range u {
		d.n.Unknown = append(d.n.Unknown, path+name)
	}
}

// time interprets a timestamp. SES uses RFC 3339; AWS's own examples also
// show "2018-10-08T14:05:45 +0000". Anything else is kept as the zero
// time and reported in Unknown.
func (d *sesDecoder) time(path, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999 -0700", v); err == nil {
		return t
	}
	d.n.Unknown = append(d.n.Unknown, path)
	return time.Time{}
}

// flag interprets a boolean; SES documents headersTruncated as a string,
// so "true" and "false" are accepted as well as true and false. Absent
// and null are false.
func flag(path string, v jsontext.Value) (bool, error) {
	switch v.Kind() {
	case 0, 'n':
		return false, nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		return b, nil
	}
	return false, fmt.Errorf("%s: %s is not a boolean", path, v)
}

func (d *sesDecoder) mail(w *mailWire) error {
	m := &d.n.Mail
	d.unknown("mail.", w.Unknown)
	truncated, err := flag("mail.headersTruncated", w.HeadersTruncated)
	if err != nil {
		return err
	}
	*m = Mail{
		Timestamp:        d.time("mail.timestamp", w.Timestamp),
		MessageID:        w.MessageID,
		Source:           w.Source,
		SourceARN:        w.SourceARN,
		SourceIP:         w.SourceIP,
		SendingAccountID: w.SendingAccountID,
		CallerIdentity:   w.CallerIdentity,
		Destination:      w.Destination,
		HeadersTruncated: truncated,
		Tags:             w.Tags,
	}
	if w.Headers != nil {
		m.Headers = make([]Header, len(w.Headers))
		for i, h := range w.Headers {
			d.unknown("mail.headers[].", h.Unknown)
			m.Headers[i] = Header{Name: h.Name, Value: h.Value}
		}
	}
	if h := w.CommonHeaders; h != nil {
		d.unknown("mail.commonHeaders.", h.Unknown)
		m.CommonHeaders = CommonHeaders{
			From: h.From, To: h.To, Cc: h.Cc, Bcc: h.Bcc, Sender: h.Sender, ReplyTo: h.ReplyTo,
			ReturnPath: h.ReturnPath, Date: h.Date, MessageID: h.MessageID, Subject: h.Subject,
		}
	}
	return nil
}

// event decodes the object of the notification's type, and drops (and
// reports in Unknown) the objects of other types.
func (d *sesDecoder) event(w *sesWire) error {
	n := d.n
	objects := [...]struct {
		t       EventType
		key     string
		present bool
	}{
		{EventBounce, "bounce", w.Bounce != nil},
		{EventComplaint, "complaint", w.Complaint != nil},
		{EventDelivery, "delivery", w.Delivery != nil},
		{EventSend, "send", w.Send != nil},
		{EventReject, "reject", w.Reject != nil},
		{EventRenderingFailure, "failure", w.Failure != nil},
		{EventDeliveryDelay, "deliveryDelay", w.DeliveryDelay != nil},
		{EventSubscription, "subscription", w.Subscription != nil},
		{EventOpen, "open", w.Open != nil},
		{EventClick, "click", w.Click != nil},
	}
	for _, o := range objects {
		switch {
		case o.t == n.Type && !o.present:
			return fmt.Errorf("%s notification without its %q object", n.Type, o.key)
		case o.t != n.Type && o.present:
			n.Unknown = append(n.Unknown, o.key)
		}
	}
	switch n.Type {
	case EventBounce:
		n.Bounce = d.bounce(w.Bounce)
	case EventComplaint:
		n.Complaint = d.complaint(w.Complaint)
	case EventDelivery:
		n.Delivery = d.delivery(w.Delivery)
	case EventSend:
		d.unknown("send.", w.Send.Unknown)
		n.Send = &SendEvent{}
	case EventReject:
		d.unknown("reject.", w.Reject.Unknown)
		n.Reject = &Reject{Reason: w.Reject.Reason}
	case EventRenderingFailure:
		d.unknown("failure.", w.Failure.Unknown)
		n.RenderingFailure = &RenderingFailure{TemplateName: w.Failure.TemplateName, ErrorMessage: w.Failure.ErrorMessage}
	case EventDeliveryDelay:
		n.DeliveryDelay = d.deliveryDelay(w.DeliveryDelay)
	case EventSubscription:
		s, err := d.subscription(w.Subscription)
		if err != nil {
			return err
		}
		n.Subscription = s
	case EventOpen:
		o := w.Open
		d.unknown("open.", o.Unknown)
		n.Open = &Open{IPAddress: o.IPAddress, Timestamp: d.time("open.timestamp", o.Timestamp), UserAgent: o.UserAgent}
	case EventClick:
		c := w.Click
		d.unknown("click.", c.Unknown)
		n.Click = &Click{IPAddress: c.IPAddress, Timestamp: d.time("click.timestamp", c.Timestamp),
			UserAgent: c.UserAgent, Link: c.Link, LinkTags: c.LinkTags}
	}
	return nil
}

func (d *sesDecoder) bounce(w *bounceWire) *Bounce {
	d.unknown("bounce.", w.Unknown)
	b := &Bounce{
		Type:         BounceType(w.BounceType),
		SubType:      w.BounceSubType,
		Timestamp:    d.time("bounce.timestamp", w.Timestamp),
		FeedbackID:   w.FeedbackID,
		RemoteMTAIP:  w.RemoteMTAIP,
		ReportingMTA: w.ReportingMTA,
	}
	if w.Recipients != nil {
		b.Recipients = make([]BouncedRecipient, len(w.Recipients))
		for i, r := range w.Recipients {
			d.unknown("bounce.bouncedRecipients[].", r.Unknown)
			b.Recipients[i] = BouncedRecipient{EmailAddress: r.EmailAddress, Action: r.Action, Status: r.Status, DiagnosticCode: r.DiagnosticCode}
		}
	}
	return b
}

func (d *sesDecoder) complaint(w *complaintWire) *Complaint {
	d.unknown("complaint.", w.Unknown)
	c := &Complaint{
		Timestamp:    d.time("complaint.timestamp", w.Timestamp),
		FeedbackID:   w.FeedbackID,
		SubType:      w.SubType,
		UserAgent:    w.UserAgent,
		FeedbackType: w.FeedbackType,
		ArrivalDate:  d.time("complaint.arrivalDate", w.ArrivalDate),
	}
	if w.Recipients != nil {
		c.Recipients = make([]ComplainedRecipient, len(w.Recipients))
		for i, r := range w.Recipients {
			d.unknown("complaint.complainedRecipients[].", r.Unknown)
			c.Recipients[i] = ComplainedRecipient{EmailAddress: r.EmailAddress}
		}
	}
	return c
}

func (d *sesDecoder) delivery(w *deliveryWire) *Delivery {
	d.unknown("delivery.", w.Unknown)
	return &Delivery{
		Timestamp:      d.time("delivery.timestamp", w.Timestamp),
		ProcessingTime: time.Duration(w.ProcessingTimeMillis * float64(time.Millisecond)),
		Recipients:     w.Recipients,
		SMTPResponse:   w.SMTPResponse,
		ReportingMTA:   w.ReportingMTA,
		RemoteMTAIP:    w.RemoteMTAIP,
	}
}

func (d *sesDecoder) deliveryDelay(w *deliveryDelayWire) *DeliveryDelay {
	d.unknown("deliveryDelay.", w.Unknown)
	v := &DeliveryDelay{
		Timestamp:      d.time("deliveryDelay.timestamp", w.Timestamp),
		DelayType:      w.DelayType,
		ExpirationTime: d.time("deliveryDelay.expirationTime", w.ExpirationTime),
		ReportingMTA:   w.ReportingMTA,
	}
	if w.DelayedRecipients != nil {
		v.DelayedRecipients = make([]DelayedRecipient, len(w.DelayedRecipients))
		for i, r := range w.DelayedRecipients {
			d.unknown("deliveryDelay.delayedRecipients[].", r.Unknown)
			v.DelayedRecipients[i] = DelayedRecipient{EmailAddress: r.EmailAddress, Status: r.Status, DiagnosticCode: r.DiagnosticCode}
		}
	}
	return v
}

func (d *sesDecoder) subscription(w *subscriptionWire) (*Subscription, error) {
	const p = "subscription."
	d.unknown(p, w.Unknown)
	s := &Subscription{ContactList: w.ContactList, Timestamp: d.time(p+"timestamp", w.Timestamp), Source: w.Source}
	var err error
	if s.NewTopicPreferences, err = d.topicPreferences(p+"newTopicPreferences.", w.NewTopicPreferences); err != nil {
		return nil, err
	}
	if s.OldTopicPreferences, err = d.topicPreferences(p+"oldTopicPreferences.", w.OldTopicPreferences); err != nil {
		return nil, err
	}
	return s, nil
}

func (d *sesDecoder) topicPreferences(p string, w *topicPreferencesWire) (TopicPreferences, error) {
	if w == nil {
		return TopicPreferences{}, nil
	}
	d.unknown(p, w.Unknown)
	all, err := flag(p+"unsubscribeAll", w.UnsubscribeAll)
	if err != nil {
		return TopicPreferences{}, err
	}
	return TopicPreferences{
		UnsubscribeAll:                 all,
		TopicSubscriptionStatus:        d.topicStatuses(p+"topicSubscriptionStatus[].", w.TopicSubscriptionStatus),
		TopicDefaultSubscriptionStatus: d.topicStatuses(p+"topicDefaultSubscriptionStatus[].", w.TopicDefaultSubscriptionStatus),
	}, nil
}

func (d *sesDecoder) topicStatuses(p string, w []topicStatusWire) []TopicStatus {
	if w == nil {
		return nil
	}
	out := make([]TopicStatus, len(w))
	for i, t := range w {
		d.unknown(p, t.Unknown)
		out[i] = TopicStatus{TopicName: t.TopicName, SubscriptionStatus: t.SubscriptionStatus}
	}
	return out
}
