package sesguard

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrMalformed is wrapped by every error for input that is not a well-formed
// SNS message, Lambda event or SES notification. The error text names the
// offending field.
var ErrMalformed = errors.New("sesguard: malformed notification")

// errNotSES reports JSON without notificationType or eventType: something
// other than an SES notification.
var errNotSES = errors.New("not an SES notification: neither notificationType nor eventType is set")

// ParseSES decodes bare SES notification JSON: the Message of an SNS
// notification, or the body that raw message delivery sends. It accepts
// both the identity-notification format (notificationType) and the
// event-publishing format (eventType), tolerates fields and types it does
// not know (they are listed in [Notification.Unknown]), and fails with an
// error wrapping [ErrMalformed] for anything else.
func ParseSES(data []byte) (*Notification, error) {
	n, err := decodeSES(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return n, nil
}

// decodeSES decodes SES JSON; errNotSES (unwrapped) means the JSON is an
// object without a type field.
func decodeSES(data []byte) (*Notification, error) {
	s := sesDecoder{d: jsonDecoder{data: data}, n: &Notification{}}
	if err := s.notification(); err != nil {
		return nil, err
	}
	if err := s.d.end(); err != nil {
		return nil, err
	}
	return s.n, s.check()
}

type sesDecoder struct {
	d jsonDecoder
	n *Notification
}

func (s *sesDecoder) unknown(path string, key []byte) error {
	s.n.Unknown = append(s.n.Unknown, path+string(key))
	return s.d.skip()
}

// fieldError names the field in err; it is small enough to inline, so the
// common case, no error, costs nothing.
func (s *sesDecoder) fieldError(path string, key []byte, err error) error {
	if err == nil {
		return nil
	}
	return wrapField(path, key, err)
}

func wrapField(path string, key []byte, err error) error {
	return fmt.Errorf("%s%s: %w", path, key, err)
}

func (s *sesDecoder) notification() error {
	n := s.n
	var notificationType, eventType string
	err := s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "notificationType":
			notificationType, err = s.d.str()
		case "eventType":
			eventType, err = s.d.str()
			n.EventPublishing = true
		case "mail":
			err = s.mail()
		case "bounce":
			n.Bounce = &Bounce{}
			err = s.bounce(n.Bounce)
		case "complaint":
			n.Complaint = &Complaint{}
			err = s.complaint(n.Complaint)
		case "delivery":
			n.Delivery = &Delivery{}
			err = s.delivery(n.Delivery)
		case "send":
			n.Send = &SendEvent{}
			err = s.empty("send.")
		case "reject":
			n.Reject = &Reject{}
			err = s.reject(n.Reject)
		case "failure":
			n.RenderingFailure = &RenderingFailure{}
			err = s.failure(n.RenderingFailure)
		case "deliveryDelay":
			n.DeliveryDelay = &DeliveryDelay{}
			err = s.deliveryDelay(n.DeliveryDelay)
		case "subscription":
			n.Subscription = &Subscription{}
			err = s.subscription(n.Subscription)
		case "open":
			n.Open = &Open{}
			err = s.open(n.Open)
		case "click":
			n.Click = &Click{}
			err = s.click(n.Click)
		default:
			return s.unknown("", key)
		}
		return s.fieldError("", key, err)
	})
	if err != nil {
		return err
	}
	if notificationType != "" && eventType != "" && notificationType != eventType {
		return fmt.Errorf("notificationType %q and eventType %q disagree", notificationType, eventType)
	}
	n.Type = EventType(notificationType)
	if eventType != "" {
		n.Type = EventType(eventType)
	}
	return nil
}

// check enforces that the object of the notification's type is present,
// and drops (and reports) objects of other types.
func (s *sesDecoder) check() error {
	n := s.n
	if n.Type == "" {
		return errNotSES
	}
	objects := [...]struct {
		t       EventType
		key     string
		present bool
	}{
		{EventBounce, "bounce", n.Bounce != nil},
		{EventComplaint, "complaint", n.Complaint != nil},
		{EventDelivery, "delivery", n.Delivery != nil},
		{EventSend, "send", n.Send != nil},
		{EventReject, "reject", n.Reject != nil},
		{EventRenderingFailure, "failure", n.RenderingFailure != nil},
		{EventDeliveryDelay, "deliveryDelay", n.DeliveryDelay != nil},
		{EventSubscription, "subscription", n.Subscription != nil},
		{EventOpen, "open", n.Open != nil},
		{EventClick, "click", n.Click != nil},
	}
	dropped := false
	for _, o := range objects {
		switch {
		case o.t == n.Type && !o.present:
			return fmt.Errorf("%s notification without its %q object", n.Type, o.key)
		case o.t != n.Type && o.present:
			n.Unknown = append(n.Unknown, o.key)
			dropped = true
		}
	}
	if dropped {
		kept := *n
		n.Bounce, n.Complaint, n.Delivery, n.Send, n.Reject = nil, nil, nil, nil, nil
		n.RenderingFailure, n.DeliveryDelay, n.Subscription, n.Open, n.Click = nil, nil, nil, nil, nil
		switch n.Type {
		case EventBounce:
			n.Bounce = kept.Bounce
		case EventComplaint:
			n.Complaint = kept.Complaint
		case EventDelivery:
			n.Delivery = kept.Delivery
		case EventSend:
			n.Send = kept.Send
		case EventReject:
			n.Reject = kept.Reject
		case EventRenderingFailure:
			n.RenderingFailure = kept.RenderingFailure
		case EventDeliveryDelay:
			n.DeliveryDelay = kept.DeliveryDelay
		case EventSubscription:
			n.Subscription = kept.Subscription
		case EventOpen:
			n.Open = kept.Open
		case EventClick:
			n.Click = kept.Click
		}
	}
	return nil
}

// timestamp decodes a time. SES uses RFC 3339; AWS's own examples also show
// "2018-10-08T14:05:45 +0000". Anything else is kept as the zero time and
// reported in Unknown.
func (s *sesDecoder) timestamp(path string, key []byte, t *time.Time) error {
	v, present, err := s.d.strOrNull()
	if err != nil || !present || v == "" {
		return err
	}
	if *t, err = time.Parse(time.RFC3339Nano, v); err == nil {
		return nil
	}
	if *t, err = time.Parse("2006-01-02T15:04:05.999999999 -0700", v); err == nil {
		return nil
	}
	s.n.Unknown = append(s.n.Unknown, path+string(key))
	return nil
}

// optStr decodes a string that SES may send as null.
func (s *sesDecoder) optStr(v *string) error {
	var err error
	*v, _, err = s.d.strOrNull()
	return err
}

func (s *sesDecoder) empty(path string) error {
	if s.d.null() {
		return nil
	}
	return s.d.object(func(key []byte) error { return s.unknown(path, key) })
}

func (s *sesDecoder) mail() error {
	const p = "mail."
	m := &s.n.Mail
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "timestamp":
			err = s.timestamp(p, key, &m.Timestamp)
		case "messageId":
			err = s.optStr(&m.MessageID)
		case "source":
			err = s.optStr(&m.Source)
		case "sourceArn":
			err = s.optStr(&m.SourceARN)
		case "sourceIp":
			err = s.optStr(&m.SourceIP)
		case "sendingAccountId":
			err = s.optStr(&m.SendingAccountID)
		case "callerIdentity":
			err = s.optStr(&m.CallerIdentity)
		case "destination":
			m.Destination, err = s.d.strings()
		case "headersTruncated":
			m.HeadersTruncated, err = s.flag()
		case "headers":
			err = s.headers(&m.Headers)
		case "commonHeaders":
			err = s.commonHeaders(&m.CommonHeaders)
		case "tags":
			m.Tags, err = s.d.stringLists()
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

// flag decodes a boolean; SES documents headersTruncated as a string, so
// "true" and "false" are accepted too.
func (s *sesDecoder) flag() (bool, error) {
	if s.d.peek() == '"' {
		v, err := s.d.str()
		if err != nil {
			return false, err
		}
		return strconv.ParseBool(v)
	}
	if s.d.null() {
		return false, nil
	}
	return s.d.boolean()
}

func (s *sesDecoder) headers(out *[]Header) error {
	if s.d.null() {
		return nil
	}
	*out = make([]Header, 0, 8)
	return s.d.array(func() error {
		var h Header
		err := s.d.object(func(key []byte) error {
			switch string(key) {
			case "name":
				return s.optStr(&h.Name)
			case "value":
				return s.optStr(&h.Value)
			}
			return s.unknown("mail.headers[].", key)
		})
		*out = append(*out, h)
		return err
	})
}

func (s *sesDecoder) commonHeaders(h *CommonHeaders) error {
	const p = "mail.commonHeaders."
	if s.d.null() {
		return nil
	}
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "from":
			h.From, err = s.d.strings()
		case "to":
			h.To, err = s.d.strings()
		case "cc":
			h.Cc, err = s.d.strings()
		case "bcc":
			h.Bcc, err = s.d.strings()
		case "sender":
			h.Sender, err = s.d.strings()
		case "replyTo":
			h.ReplyTo, err = s.d.strings()
		case "returnPath":
			err = s.optStr(&h.ReturnPath)
		case "date":
			err = s.optStr(&h.Date)
		case "messageId":
			err = s.optStr(&h.MessageID)
		case "subject":
			err = s.optStr(&h.Subject)
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) bounce(b *Bounce) error {
	const p = "bounce."
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "bounceType":
			var v string
			err = s.optStr(&v)
			b.Type = BounceType(v)
		case "bounceSubType":
			err = s.optStr(&b.SubType)
		case "bouncedRecipients":
			err = s.d.array(func() error {
				var r BouncedRecipient
				err := s.d.object(func(key []byte) error {
					switch string(key) {
					case "emailAddress":
						return s.optStr(&r.EmailAddress)
					case "action":
						return s.optStr(&r.Action)
					case "status":
						return s.optStr(&r.Status)
					case "diagnosticCode":
						return s.optStr(&r.DiagnosticCode)
					}
					return s.unknown(p+"bouncedRecipients[].", key)
				})
				b.Recipients = append(b.Recipients, r)
				return err
			})
		case "timestamp":
			err = s.timestamp(p, key, &b.Timestamp)
		case "feedbackId":
			err = s.optStr(&b.FeedbackID)
		case "remoteMtaIp":
			err = s.optStr(&b.RemoteMTAIP)
		case "reportingMTA":
			err = s.optStr(&b.ReportingMTA)
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) complaint(c *Complaint) error {
	const p = "complaint."
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "complainedRecipients":
			err = s.d.array(func() error {
				var r ComplainedRecipient
				err := s.d.object(func(key []byte) error {
					if string(key) == "emailAddress" {
						return s.optStr(&r.EmailAddress)
					}
					return s.unknown(p+"complainedRecipients[].", key)
				})
				c.Recipients = append(c.Recipients, r)
				return err
			})
		case "timestamp":
			err = s.timestamp(p, key, &c.Timestamp)
		case "feedbackId":
			err = s.optStr(&c.FeedbackID)
		case "complaintSubType":
			err = s.optStr(&c.SubType)
		case "userAgent":
			err = s.optStr(&c.UserAgent)
		case "complaintFeedbackType":
			err = s.optStr(&c.FeedbackType)
		case "arrivalDate":
			err = s.timestamp(p, key, &c.ArrivalDate)
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) delivery(v *Delivery) error {
	const p = "delivery."
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "timestamp":
			err = s.timestamp(p, key, &v.Timestamp)
		case "processingTimeMillis":
			var ms float64
			if ms, err = s.d.float(); err == nil {
				v.ProcessingTime = time.Duration(ms * float64(time.Millisecond))
			}
		case "recipients":
			v.Recipients, err = s.d.strings()
		case "smtpResponse":
			err = s.optStr(&v.SMTPResponse)
		case "reportingMTA":
			err = s.optStr(&v.ReportingMTA)
		case "remoteMtaIp":
			err = s.optStr(&v.RemoteMTAIP)
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) reject(v *Reject) error {
	return s.d.object(func(key []byte) error {
		if string(key) == "reason" {
			return s.fieldError("reject.", key, s.optStr(&v.Reason))
		}
		return s.unknown("reject.", key)
	})
}

func (s *sesDecoder) failure(v *RenderingFailure) error {
	const p = "failure."
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "templateName":
			err = s.optStr(&v.TemplateName)
		case "errorMessage":
			err = s.optStr(&v.ErrorMessage)
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) deliveryDelay(v *DeliveryDelay) error {
	const p = "deliveryDelay."
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "timestamp":
			err = s.timestamp(p, key, &v.Timestamp)
		case "delayType":
			err = s.optStr(&v.DelayType)
		case "expirationTime":
			err = s.timestamp(p, key, &v.ExpirationTime)
		case "reportingMTA":
			err = s.optStr(&v.ReportingMTA)
		case "delayedRecipients":
			err = s.d.array(func() error {
				var r DelayedRecipient
				err := s.d.object(func(key []byte) error {
					switch string(key) {
					case "emailAddress":
						return s.optStr(&r.EmailAddress)
					case "status":
						return s.optStr(&r.Status)
					case "diagnosticCode":
						return s.optStr(&r.DiagnosticCode)
					}
					return s.unknown(p+"delayedRecipients[].", key)
				})
				v.DelayedRecipients = append(v.DelayedRecipients, r)
				return err
			})
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) subscription(v *Subscription) error {
	const p = "subscription."
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "contactList":
			err = s.optStr(&v.ContactList)
		case "timestamp":
			err = s.timestamp(p, key, &v.Timestamp)
		case "source":
			err = s.optStr(&v.Source)
		case "newTopicPreferences":
			err = s.topicPreferences(p+"newTopicPreferences.", &v.NewTopicPreferences)
		case "oldTopicPreferences":
			err = s.topicPreferences(p+"oldTopicPreferences.", &v.OldTopicPreferences)
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) topicPreferences(p string, v *TopicPreferences) error {
	if s.d.null() {
		return nil
	}
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "unsubscribeAll":
			v.UnsubscribeAll, err = s.flag()
		case "topicSubscriptionStatus":
			err = s.topicStatuses(p+"topicSubscriptionStatus[].", &v.TopicSubscriptionStatus)
		case "topicDefaultSubscriptionStatus":
			err = s.topicStatuses(p+"topicDefaultSubscriptionStatus[].", &v.TopicDefaultSubscriptionStatus)
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) topicStatuses(p string, out *[]TopicStatus) error {
	if s.d.null() {
		return nil
	}
	return s.d.array(func() error {
		var t TopicStatus
		err := s.d.object(func(key []byte) error {
			switch string(key) {
			case "topicName":
				return s.optStr(&t.TopicName)
			case "subscriptionStatus":
				return s.optStr(&t.SubscriptionStatus)
			}
			return s.unknown(p, key)
		})
		*out = append(*out, t)
		return err
	})
}

func (s *sesDecoder) open(v *Open) error {
	const p = "open."
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "ipAddress":
			err = s.optStr(&v.IPAddress)
		case "timestamp":
			err = s.timestamp(p, key, &v.Timestamp)
		case "userAgent":
			err = s.optStr(&v.UserAgent)
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}

func (s *sesDecoder) click(v *Click) error {
	const p = "click."
	return s.d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "ipAddress":
			err = s.optStr(&v.IPAddress)
		case "timestamp":
			err = s.timestamp(p, key, &v.Timestamp)
		case "userAgent":
			err = s.optStr(&v.UserAgent)
		case "link":
			err = s.optStr(&v.Link)
		case "linkTags":
			v.LinkTags, err = s.d.stringLists()
		default:
			return s.unknown(p, key)
		}
		return s.fieldError(p, key, err)
	})
}
