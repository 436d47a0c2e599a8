package sestest

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Format is one of SES's two notification formats.
type Format string

const (
	// IdentityFormat is the identity feedback notification: the payload's
	// discriminator is "notificationType" (Bounce, Complaint, Delivery).
	IdentityFormat Format = "notificationType"
	// EventFormat is configuration set event publishing: the payload's
	// discriminator is "eventType" and mail.tags carries the tags. The server
	// publishes events for messages that name a configuration set.
	EventFormat Format = "eventType"
)

// eventSubject is the SNS Subject SES gives event publishing notifications.
const eventSubject = "Amazon SES Email Event Notification"

// Notification is one SES notification the server published to its SNS
// topic. Its fields are fixed when it is published; the SNS envelope is
// signed the first time it is needed.
//
// A Notification is safe for concurrent use by multiple goroutines.
type Notification struct {
	ID               string    // SNS MessageId
	Format           Format    // IdentityFormat or EventFormat
	Type             string    // "Delivery", "Bounce", "Complaint", "Send", "Reject", "Rendering Failure", "DeliveryDelay", "Subscription", "Open", "Click"
	MessageID        string    // the SES message id the notification is about (mail.messageId)
	ConfigurationSet string    // the message's configuration set, "" for none
	Recipients       []string  // the recipients the notification is about
	Timestamp        time.Time // when it was published, by the server's clock
	Message          []byte    // the SES payload: the SNS Message string, and the body of a raw delivery
	Subject          string    // the SNS Subject; "" when it has none

	topicARN string
	signer   *signer
	sigVer   string
	unsubURL string

	once      sync.Once
	signature string
}

func (s *Server) newNotification(f Format, typ, messageID, configSet string, recipients []string, p *sesPayload, now time.Time) *Notification {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p) // the payload holds only strings, numbers and bools
	msg := buf.Bytes()
	n := &Notification{
		ID:               s.ids.uuid(),
		Format:           f,
		Type:             typ,
		MessageID:        messageID,
		ConfigurationSet: configSet,
		Recipients:       recipients,
		Timestamp:        now,
		topicARN:         s.TopicARN(),
		signer:           s.signer,
		sigVer:           s.opts.SignatureVersion,
		unsubURL:         s.unsubscribeURL(s.TopicARN() + ":default"),
	}
	if f == EventFormat {
		// SES ends event publishing payloads with a newline.
		n.Message, n.Subject = msg, eventSubject
	} else {
		n.Message = bytes.TrimSuffix(msg, []byte("\n"))
	}
	return n
}

// snsTimestamp is the Timestamp of the SNS envelope.
func (n *Notification) snsTimestamp() string { return timestamp(n.Timestamp) }

// sign returns the envelope's signature, computing it once.
func (n *Notification) sign() string {
	n.once.Do(func() {
		f := envelopeFields{typ: "Notification", messageID: n.ID, topicARN: n.topicARN, message: string(n.Message),
			timestamp: n.snsTimestamp(), subject: n.Subject, hasSubject: n.Subject != ""}
		n.signature = n.signer.sign(n.sigVer, f.stringToSign())
	})
	return n.signature
}

// Envelope returns the signed SNS envelope of the notification, as an HTTP
// subscriber or an SQS queue (without raw delivery) receives it. Its
// UnsubscribeURL names the topic's default subscription.
func (n *Notification) Envelope() []byte { return n.envelope(n.unsubURL) }

func (n *Notification) envelope(unsubscribeURL string) []byte {
	e := snsEnvelope{
		Type:             "Notification",
		MessageID:        n.ID,
		TopicArn:         n.topicARN,
		Message:          string(n.Message),
		Timestamp:        n.snsTimestamp(),
		SignatureVersion: n.sigVer,
		Signature:        n.sign(),
		SigningCertURL:   n.signer.certURL,
		UnsubscribeURL:   unsubscribeURL,
	}
	if n.Subject != "" {
		e.Subject = &n.Subject
	}
	return marshalEnvelope(e)
}

// LambdaEvent returns the notification as AWS Lambda receives it from an SNS
// trigger: a Records array whose Sns member spells SigningCertUrl and
// UnsubscribeUrl with a lower-case "rl" and has "Subject": null when there
// is no subject.
func (n *Notification) LambdaEvent() []byte {
	var subject *string
	if n.Subject != "" {
		subject = &n.Subject
	}
	ev := map[string]any{"Records": []any{map[string]any{
		"EventSource":          "aws:sns",
		"EventVersion":         "1.0",
		"EventSubscriptionArn": n.topicARN + ":lambda",
		"Sns": map[string]any{
			"Type":              "Notification",
			"MessageId":         n.ID,
			"TopicArn":          n.topicARN,
			"Subject":           subject,
			"Message":           string(n.Message),
			"Timestamp":         n.snsTimestamp(),
			"SignatureVersion":  n.sigVer,
			"Signature":         n.sign(),
			"SigningCertUrl":    n.signer.certURL,
			"UnsubscribeUrl":    n.unsubURL,
			"MessageAttributes": map[string]any{},
		},
	}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(ev)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// publishLocked records n and hands it to every subscription. It must be
// called with s.mu held.
func (s *Server) publishLocked(n *Notification) {
	s.notifications = append(s.notifications, n)
	for _, sub := range s.subs {
		sub.offer(n)
	}
	close(s.published)
	s.published = make(chan struct{})
}

// Notifications returns every notification the server has published, in
// order.
func (s *Server) Notifications() []*Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Notification(nil), s.notifications...)
}

// WaitNotifications waits until the server has published at least n
// notifications, or ctx is done, and returns the notifications published so
// far. Notifications are published while SendEmail is answered, so after a
// send returns its notifications are already there; WaitNotifications is for
// sends made by other goroutines.
func (s *Server) WaitNotifications(ctx context.Context, n int) ([]*Notification, error) {
	for {
		s.mu.Lock()
		if len(s.notifications) >= n {
			out := append([]*Notification(nil), s.notifications...)
			s.mu.Unlock()
			return out, nil
		}
		wake := s.published
		s.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return s.Notifications(), ctx.Err()
		}
	}
}
