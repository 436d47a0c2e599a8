package sestest

import (
	"regexp"
	"strings"
	"time"
)

// The SES notification payloads, with the field names and order of AWS's
// published examples (see the package's testdata).

type sesPayload struct {
	NotificationType string        `json:"notificationType,omitempty"`
	EventType        string        `json:"eventType,omitempty"`
	Bounce           *bounceObject `json:"bounce,omitempty"`
	Complaint        *complaintObj `json:"complaint,omitempty"`
	Delivery         *deliveryObj  `json:"delivery,omitempty"`
	Send             *struct{}     `json:"send,omitempty"`
	Reject           *rejectObj    `json:"reject,omitempty"`
	Failure          *failureObj   `json:"failure,omitempty"`
	DeliveryDelay    *delayObj     `json:"deliveryDelay,omitempty"`
	Subscription     *subscribeObj `json:"subscription,omitempty"`
	Open             *openObj      `json:"open,omitempty"`
	Click            *clickObj     `json:"click,omitempty"`
	Mail             *mailObject   `json:"mail"`
}

type mailObject struct {
	Timestamp        string              `json:"timestamp"`
	Source           string              `json:"source"`
	SourceArn        string              `json:"sourceArn"`
	SourceIP         string              `json:"sourceIp,omitempty"`
	SendingAccountID string              `json:"sendingAccountId"`
	CallerIdentity   string              `json:"callerIdentity,omitempty"`
	MessageID        string              `json:"messageId"`
	Destination      []string            `json:"destination"`
	HeadersTruncated bool                `json:"headersTruncated"`
	Headers          []headerObj         `json:"headers,omitempty"`
	CommonHeaders    *commonHeaders      `json:"commonHeaders,omitempty"`
	Tags             map[string][]string `json:"tags,omitempty"`
}

type headerObj struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type commonHeaders struct {
	From      []string `json:"from,omitempty"`
	ReplyTo   []string `json:"replyTo,omitempty"`
	Date      string   `json:"date,omitempty"`
	To        []string `json:"to,omitempty"`
	Cc        []string `json:"cc,omitempty"`
	MessageID string   `json:"messageId,omitempty"`
	Subject   string   `json:"subject,omitempty"`
}

type bounceObject struct {
	BounceType        string             `json:"bounceType"`
	BounceSubType     string             `json:"bounceSubType"`
	BouncedRecipients []bouncedRecipient `json:"bouncedRecipients"`
	Timestamp         string             `json:"timestamp"`
	FeedbackID        string             `json:"feedbackId"`
	RemoteMtaIP       string             `json:"remoteMtaIp,omitempty"`
	ReportingMTA      string             `json:"reportingMTA,omitempty"`
}

type bouncedRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Action         string `json:"action,omitempty"`
	Status         string `json:"status,omitempty"`
	DiagnosticCode string `json:"diagnosticCode,omitempty"`
}

type complaintObj struct {
	FeedbackID            string         `json:"feedbackId"`
	ComplaintSubType      *string        `json:"complaintSubType"`
	ComplainedRecipients  []emailAddress `json:"complainedRecipients"`
	Timestamp             string         `json:"timestamp"`
	UserAgent             string         `json:"userAgent,omitempty"`
	ComplaintFeedbackType string         `json:"complaintFeedbackType,omitempty"`
	ArrivalDate           string         `json:"arrivalDate,omitempty"`
}

type emailAddress struct {
	EmailAddress string `json:"emailAddress"`
}

type deliveryObj struct {
	Timestamp            string   `json:"timestamp"`
	ProcessingTimeMillis int64    `json:"processingTimeMillis"`
	Recipients           []string `json:"recipients"`
	SMTPResponse         string   `json:"smtpResponse"`
	ReportingMTA         string   `json:"reportingMTA"`
	RemoteMtaIP          string   `json:"remoteMtaIp,omitempty"`
}

type rejectObj struct {
	Reason string `json:"reason"`
}

type failureObj struct {
	ErrorMessage string `json:"errorMessage"`
	TemplateName string `json:"templateName"`
}

type delayObj struct {
	Timestamp         string             `json:"timestamp"`
	DelayType         string             `json:"delayType"`
	ExpirationTime    string             `json:"expirationTime"`
	DelayedRecipients []bouncedRecipient `json:"delayedRecipients"`
	ReportingMTA      string             `json:"reportingMTA,omitempty"`
}

type subscribeObj struct {
	ContactList         string           `json:"contactList"`
	Timestamp           string           `json:"timestamp"`
	Source              string           `json:"source"`
	NewTopicPreferences topicPreferences `json:"newTopicPreferences"`
	OldTopicPreferences topicPreferences `json:"oldTopicPreferences"`
}

type openObj struct {
	IPAddress string `json:"ipAddress"`
	Timestamp string `json:"timestamp"`
	UserAgent string `json:"userAgent"`
}

type clickObj struct {
	IPAddress string              `json:"ipAddress"`
	Link      string              `json:"link"`
	LinkTags  map[string][]string `json:"linkTags,omitempty"`
	Timestamp string              `json:"timestamp"`
	UserAgent string              `json:"userAgent"`
}

type topicPreferences struct {
	UnsubscribeAll          bool          `json:"unsubscribeAll"`
	TopicSubscriptionStatus []topicStatus `json:"topicSubscriptionStatus"`
}

type topicStatus struct {
	TopicName          string `json:"topicName"`
	SubscriptionStatus string `json:"subscriptionStatus"`
}

// Fixed values the emulated SES reports. The IP addresses are from the
// documentation ranges of RFC 5737.
const (
	callerIdentity   = "sestest"
	remoteMtaIP      = "192.0.2.25"
	outgoingIP       = "192.0.2.10"
	deliveryResponse = "250 2.6.0 Message received"
	processingMillis = 512
	simulatorAgent   = "Amazon SES Mailbox Simulator"
	readerIP         = "192.0.2.99"
	readerAgent      = "Mozilla/5.0 (sestest)"
)

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// bounceKind says how an outcome bounces.
type bounceKind struct {
	bounceType, subType, status, diagnostic string
	reachedMTA                              bool
}

var bounceKinds = map[Outcome]bounceKind{
	OutcomeBounce:                   {"Permanent", "General", "5.1.1", "smtp; 550 5.1.1 user unknown", true},
	OutcomeSuppressed:               {"Permanent", "Suppressed", "5.1.1", "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.", false},
	OutcomeOnAccountSuppressionList: {"Permanent", "OnAccountSuppressionList", "5.1.1", "Amazon SES did not send the message to this address because it is on the suppression list for your account.", false},
	OutcomeSoftBounce:               {"Transient", "General", "4.4.7", "smtp; 451 4.4.7 message delivery delayed", true},
	OutcomeMailboxFull:              {"Transient", "MailboxFull", "5.2.2", "smtp; 552 5.2.2 mailbox full", true},
}

// delivered reports whether mail with outcome o reaches the mailbox.
func delivered(o Outcome) bool {
	switch o {
	case OutcomeDeliver, OutcomeComplaint, OutcomeAutoReply, OutcomeDelay, OutcomeUnsubscribe, OutcomeEngage:
		return true
	}
	return false
}

// eventBuilder makes the notifications for one accepted message.
type eventBuilder struct {
	s   *Server
	o   *outgoing
	id  string
	now time.Time
	ts  string
	out []*Notification
	set *configSet // the message's configuration set, nil for none
}

// events returns, in order, the notifications for message id whose
// recipients have the given outcomes: identity notifications (Delivery,
// Bounce, Complaint) always, and configuration set events when the message
// names a configuration set whose event destinations publish them.
// Recipients with the same result share one
// notification, as SES may batch them.
func (s *Server) events(o *outgoing, id string, outcomes []Outcome, now time.Time) []*Notification {
	b := &eventBuilder{s: s, o: o, id: id, now: now, ts: timestamp(now), set: s.configSets[o.configSet]}
	b.add(EventFormat, "Send", o.recipients, func(p *sesPayload) { p.Send = &struct{}{} })
	switch {
	case hasVirus(o):
		b.add(EventFormat, "Reject", o.recipients, func(p *sesPayload) { p.Reject = &rejectObj{Reason: "Bad content"} })
		return b.out
	case o.renderErr != nil:
		b.add(EventFormat, "Rendering Failure", o.recipients, func(p *sesPayload) {
			p.Failure = &failureObj{ErrorMessage: o.renderErr.message, TemplateName: o.renderErr.template}
		})
		return b.out
	}
	group := func(keep func(Outcome) bool) []string {
		var rs []string
		for i, r := range o.recipients {
			if keep(outcomes[i]) {
				rs = append(rs, r)
			}
		}
		return rs
	}
	if delayed := group(func(x Outcome) bool { return x == OutcomeDelay }); len(delayed) > 0 {
		b.delay(delayed)
	}
	if rs := group(delivered); len(rs) > 0 {
		b.both("Delivery", rs, func(p *sesPayload, f Format) {
			p.Delivery = &deliveryObj{Timestamp: b.ts, ProcessingTimeMillis: processingMillis, Recipients: rs,
				SMTPResponse: deliveryResponse, ReportingMTA: reportingHost(s.opts.Region)}
			if f == IdentityFormat {
				p.Delivery.RemoteMtaIP = remoteMtaIP
			}
		})
	}
	for _, kind := range []Outcome{OutcomeBounce, OutcomeSuppressed, OutcomeOnAccountSuppressionList, OutcomeSoftBounce, OutcomeMailboxFull} {
		if rs := group(func(x Outcome) bool { return x == kind }); len(rs) > 0 {
			b.bounce(bounceKinds[kind], rs)
		}
	}
	if rs := group(func(x Outcome) bool { return x == OutcomeComplaint }); len(rs) > 0 {
		b.complaint(rs)
	}
	for _, r := range group(func(x Outcome) bool { return x == OutcomeEngage }) {
		b.engage(r)
	}
	if o.listMgmt != nil && o.listMgmt.ContactListName != "" {
		for _, r := range group(func(x Outcome) bool { return x == OutcomeUnsubscribe }) {
			b.unsubscribe(r)
		}
	}
	return b.out
}

// add appends a notification of format f about recipients.
func (b *eventBuilder) add(f Format, typ string, recipients []string, fill func(*sesPayload)) {
	if f == EventFormat && (b.set == nil || !b.set.publishes(typ)) {
		return
	}
	p := &sesPayload{Mail: b.mail(f, typ)}
	if f == EventFormat {
		p.EventType = typ
	} else {
		p.NotificationType = typ
	}
	fill(p)
	b.out = append(b.out, b.s.newNotification(f, typ, b.id, b.o.configSet, recipients, p, b.now))
}

// both appends the identity notification and the event for one result.
func (b *eventBuilder) both(typ string, recipients []string, fill func(*sesPayload, Format)) {
	for _, f := range [...]Format{IdentityFormat, EventFormat} {
		b.add(f, typ, recipients, func(p *sesPayload) { fill(p, f) })
	}
}

func (b *eventBuilder) bounce(k bounceKind, rs []string) {
	recipients := make([]bouncedRecipient, len(rs))
	for i, r := range rs {
		recipients[i] = bouncedRecipient{EmailAddress: r, Action: "failed", Status: k.status, DiagnosticCode: k.diagnostic}
	}
	feedback := b.s.ids.messageID(b.now)
	if k.bounceType == "Permanent" && k.reachedMTA {
		for _, r := range rs {
			b.s.listLocked(r, reasonBounce, b.id, feedback, b.now)
		}
	}
	b.both("Bounce", rs, func(p *sesPayload, _ Format) {
		p.Bounce = &bounceObject{BounceType: k.bounceType, BounceSubType: k.subType, BouncedRecipients: recipients,
			Timestamp: b.ts, FeedbackID: feedback, ReportingMTA: "dns; amazonses.com"}
		if k.reachedMTA {
			p.Bounce.RemoteMtaIP = remoteMtaIP
			p.Bounce.ReportingMTA = "dns; " + reportingHost(b.s.opts.Region)
		}
	})
}

func (b *eventBuilder) complaint(rs []string) {
	recipients := make([]emailAddress, len(rs))
	for i, r := range rs {
		recipients[i] = emailAddress{EmailAddress: r}
	}
	feedback := b.s.ids.messageID(b.now)
	for _, r := range rs {
		b.s.listLocked(r, reasonComplaint, b.id, feedback, b.now)
	}
	b.both("Complaint", rs, func(p *sesPayload, _ Format) {
		p.Complaint = &complaintObj{FeedbackID: feedback, ComplainedRecipients: recipients, Timestamp: b.ts,
			UserAgent: simulatorAgent, ComplaintFeedbackType: "abuse", ArrivalDate: b.ts}
	})
}

func (b *eventBuilder) delay(rs []string) {
	recipients := make([]bouncedRecipient, len(rs))
	for i, r := range rs {
		recipients[i] = bouncedRecipient{EmailAddress: r, Status: "4.4.1", DiagnosticCode: "smtp; 421 4.4.1 Unable to connect to remote host"}
	}
	b.add(EventFormat, "DeliveryDelay", rs, func(p *sesPayload) {
		p.DeliveryDelay = &delayObj{Timestamp: b.ts, DelayType: "TransientCommunicationFailure",
			ExpirationTime: timestamp(b.now.Add(day)), DelayedRecipients: recipients, ReportingMTA: reportingHost(b.s.opts.Region)}
	})
}

var (
	anchorTag = regexp.MustCompile(`(?i)<a\s[^>]*href="([^"]+)"[^>]*>`)
	sesTags   = regexp.MustCompile(`ses:tags="([^"]*)"`)
)

// engage publishes the Open and Click events of a recipient who read the
// message and followed its first link.
func (b *eventBuilder) engage(r string) {
	b.add(EventFormat, "Open", []string{r}, func(p *sesPayload) {
		p.Open = &openObj{IPAddress: readerIP, Timestamp: b.ts, UserAgent: readerAgent}
	})
	link, tags := "https://example.com/", map[string][]string(nil)
	if m := anchorTag.FindStringSubmatch(b.o.html); m != nil {
		link = m[1]
		if t := sesTags.FindStringSubmatch(m[0]); t != nil {
			tags = map[string][]string{}
			for _, kv := range strings.Split(t[1], ";") {
				if k, v, ok := strings.Cut(strings.TrimSpace(kv), ":"); ok {
					tags[k] = append(tags[k], v)
				}
			}
		}
	}
	b.add(EventFormat, "Click", []string{r}, func(p *sesPayload) {
		p.Click = &clickObj{IPAddress: readerIP, Link: link, LinkTags: tags, Timestamp: b.ts, UserAgent: readerAgent}
	})
}

func (b *eventBuilder) unsubscribe(r string) {
	lm := b.o.listMgmt
	b.add(EventFormat, "Subscription", []string{r}, func(p *sesPayload) {
		p.Subscription = &subscribeObj{
			ContactList: lm.ContactListName,
			Timestamp:   b.ts,
			Source:      "UnsubscribeHeader",
			NewTopicPreferences: topicPreferences{UnsubscribeAll: true,
				TopicSubscriptionStatus: []topicStatus{{TopicName: lm.TopicName, SubscriptionStatus: "OptOut"}}},
			OldTopicPreferences: topicPreferences{UnsubscribeAll: false,
				TopicSubscriptionStatus: []topicStatus{{TopicName: lm.TopicName, SubscriptionStatus: "OptIn"}}},
		}
	})
}

// mail builds the mail object of a notification of format f and type typ.
func (b *eventBuilder) mail(f Format, typ string) *mailObject {
	o, s := b.o, b.s
	m := &mailObject{
		Timestamp:        b.ts,
		Source:           o.from,
		SourceArn:        "arn:aws:ses:" + s.opts.Region + ":" + s.opts.AccountID + ":identity/" + identityFor(o.fromAddr, s.verifiedIdentitiesLocked()),
		SendingAccountID: s.opts.AccountID,
		MessageID:        b.id,
		Destination:      o.recipients,
	}
	if f == IdentityFormat {
		m.SourceIP, m.CallerIdentity = o.sourceIP, callerIdentity
	} else {
		m.Tags = b.tags(typ)
	}
	if typ == "Rendering Failure" {
		return m
	}
	m.Headers = make([]headerObj, 0, len(o.headers))
	for _, h := range o.headers {
		// Bcc recipients are not shown to anyone, notifications included.
		if !strings.EqualFold(h.Name, "Bcc") {
			m.Headers = append(m.Headers, headerObj(h))
		}
	}
	m.CommonHeaders = &commonHeaders{Date: o.date, Subject: o.subject, MessageID: b.id}
	if o.mimeMessageID != "" {
		m.CommonHeaders.MessageID = o.mimeMessageID
	}
	for _, h := range o.headers {
		switch strings.ToLower(h.Name) {
		case "from":
			m.CommonHeaders.From = append(m.CommonHeaders.From, h.Value)
		case "reply-to":
			m.CommonHeaders.ReplyTo = append(m.CommonHeaders.ReplyTo, h.Value)
		case "to":
			m.CommonHeaders.To = append(m.CommonHeaders.To, h.Value)
		case "cc":
			m.CommonHeaders.Cc = append(m.CommonHeaders.Cc, h.Value)
		}
	}
	return m
}

// tags returns mail.tags of an event: SES's own tags and the message's.
func (b *eventBuilder) tags(typ string) map[string][]string {
	o := b.o
	t := map[string][]string{
		"ses:operation":         {o.operation},
		"ses:configuration-set": {o.configSet},
		"ses:source-ip":         {o.sourceIP},
		"ses:from-domain":       {domainOf(o.fromAddr)},
		"ses:caller-identity":   {callerIdentity},
	}
	if typ == "Delivery" {
		t["ses:outgoing-ip"] = []string{outgoingIP}
	}
	for _, tag := range o.tags {
		t[tag.Name] = []string{tag.Value}
	}
	return t
}

func reportingHost(region string) string { return "a1-1.smtp-out." + region + ".amazonses.com" }
