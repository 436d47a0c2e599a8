package sesguard

import (
	"fmt"
	"unsafe"
)

// The SNS message types, the values of [Envelope.Type].
const (
	SNSNotification             = "Notification"
	SNSSubscriptionConfirmation = "SubscriptionConfirmation"
	SNSUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Envelope is an SNS message as SNS delivers it to an HTTP(S) endpoint or
// an SQS queue, or inside a Lambda SNS event record. Its signature covers
// the decoded values of a fixed set of fields (see
// [Envelope.StringToSign]); everything else in it, MessageAttributes and
// the URLs included, is unauthenticated until [Verifier.Verify] succeeds,
// and even then only the signed fields are vouched for.
type Envelope struct {
	Type      string // Notification, SubscriptionConfirmation or UnsubscribeConfirmation
	MessageID string // the same on every retry of one message
	TopicARN  string
	Message   string // the published payload: for SES, its notification JSON
	Timestamp string // exactly as received; it is signed in this form

	// Subject is the notification's subject. HasSubject tells an absent
	// or null Subject (not signed) from an empty one (signed as "").
	Subject    string
	HasSubject bool

	SignatureVersion string // "1" (SHA1withRSA) or "2" (SHA256withRSA)
	Signature        string // base64
	SigningCertURL   string // also accepted as SigningCertUrl (Lambda)

	SubscribeURL   string // confirmations only; also SubscribeUrl
	UnsubscribeURL string // notifications only; also UnsubscribeUrl
	Token          string // confirmations only

	MessageAttributes map[string]MessageAttribute // not signed

	// Unknown lists fields of the envelope that SNS does not document.
	Unknown []string

	message []byte // Message as bytes, for decoding the SES payload
}

// MessageAttribute is one SNS message attribute. Attributes are not
// covered by the signature.
type MessageAttribute struct {
	Type  string // String, String.Array, Number or Binary
	Value string
}

// ParseEnvelope decodes an SNS message as SNS posts it to an HTTP(S)
// endpoint or sends it to SQS, with either the HTTP spelling of the URL
// fields (SigningCertURL) or Lambda's (SigningCertUrl). It does not verify
// the signature: see [Verifier]. Input that is not an SNS message, or that
// repeats a field (under either spelling), is rejected with an error
// wrapping [ErrMalformed].
func ParseEnvelope(data []byte) (*Envelope, error) {
	d := jsonDecoder{data: data}
	e := &Envelope{}
	var seen envelopeFields
	err := d.object(func(key []byte) error {
		if ok, err := e.field(&d, key, &seen); ok || err != nil {
			return err
		}
		e.Unknown = append(e.Unknown, string(key))
		return d.skip()
	})
	if err == nil {
		err = d.end()
	}
	if err == nil {
		err = e.check(seen)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: SNS message: %w", ErrMalformed, err)
	}
	return e, nil
}

// envelopeFields is a set of envelope fields, one bit each.
type envelopeFields uint32

const (
	fieldType envelopeFields = 1 << iota
	fieldMessageID
	fieldTopicARN
	fieldMessage
	fieldTimestamp
	fieldSubject
	fieldSignatureVersion
	fieldSignature
	fieldSigningCertURL
	fieldSubscribeURL
	fieldUnsubscribeURL
	fieldToken
	fieldMessageAttributes
)

// field decodes key's value into e when key is an envelope field, and
// reports whether it was one.
func (e *Envelope) field(d *jsonDecoder, key []byte, seen *envelopeFields) (bool, error) {
	var f envelopeFields
	var dst *string
	switch string(key) {
	case "Type":
		f, dst = fieldType, &e.Type
	case "MessageId":
		f, dst = fieldMessageID, &e.MessageID
	case "TopicArn":
		f, dst = fieldTopicARN, &e.TopicARN
	case "Timestamp":
		f, dst = fieldTimestamp, &e.Timestamp
	case "SignatureVersion":
		f, dst = fieldSignatureVersion, &e.SignatureVersion
	case "Signature":
		f, dst = fieldSignature, &e.Signature
	case "SigningCertURL", "SigningCertUrl":
		f, dst = fieldSigningCertURL, &e.SigningCertURL
	case "SubscribeURL", "SubscribeUrl":
		f, dst = fieldSubscribeURL, &e.SubscribeURL
	case "UnsubscribeURL", "UnsubscribeUrl":
		f, dst = fieldUnsubscribeURL, &e.UnsubscribeURL
	case "Token":
		f, dst = fieldToken, &e.Token
	case "Message":
		f = fieldMessage
	case "Subject":
		f = fieldSubject
	case "MessageAttributes":
		f = fieldMessageAttributes
	default:
		return false, nil
	}
	if *seen&f != 0 {
		return true, fmt.Errorf("field %s given twice", key)
	}
	*seen |= f
	var err error
	switch f {
	case fieldMessage:
		// Message is the input of the SES decoder and the largest field;
		// in the arena its bytes are never written again, so e.Message
		// shares them instead of copying.
		var b []byte
		if b, err = d.strArena(); err == nil {
			e.message = b
			if len(b) > 0 {
				e.Message = unsafe.String(&b[0], len(b))
			}
		}
	case fieldSubject:
		e.Subject, e.HasSubject, err = d.strOrNull()
	case fieldMessageAttributes:
		e.MessageAttributes, err = decodeAttributes(d)
	default:
		*dst, err = d.str()
	}
	if err != nil {
		return true, fmt.Errorf("%s: %w", key, err)
	}
	return true, nil
}

// check enforces the fields every SNS message has.
func (e *Envelope) check(seen envelopeFields) error {
	const required = fieldType | fieldMessageID | fieldTopicARN | fieldMessage | fieldTimestamp
	if seen&required != required {
		return fmt.Errorf("not an SNS message: Type, MessageId, TopicArn, Message and Timestamp are required")
	}
	return nil
}

func decodeAttributes(d *jsonDecoder) (map[string]MessageAttribute, error) {
	if d.null() {
		return nil, nil
	}
	var out map[string]MessageAttribute
	err := d.object(func(key []byte) error {
		name := string(key)
		var a MessageAttribute
		err := d.object(func(key []byte) error {
			switch string(key) {
			case "Type":
				return decodeInto(d, &a.Type)
			case "Value":
				return decodeInto(d, &a.Value)
			}
			return d.skip()
		})
		if out == nil {
			out = make(map[string]MessageAttribute)
		}
		out[name] = a
		return err
	})
	return out, err
}

func decodeInto(d *jsonDecoder, dst *string) error {
	var err error
	*dst, _, err = d.strOrNull()
	return err
}

// StringToSign returns the bytes SNS signed for e: for each signed field,
// in byte order of the names, the name, a newline, the decoded value and a
// newline. A Notification signs Message, MessageId, Subject (only when
// present: an empty Subject is signed, a null or absent one is not),
// Timestamp, TopicArn and Type; a SubscriptionConfirmation and an
// UnsubscribeConfirmation sign Message, MessageId, SubscribeURL, Timestamp,
// Token, TopicArn and Type. Any other Type has no string to sign.
func (e *Envelope) StringToSign() ([]byte, error) {
	return e.appendStringToSign(nil)
}

// appendStringToSign appends the string to sign to dst.
func (e *Envelope) appendStringToSign(dst []byte) ([]byte, error) {
	field := func(name, value string) {
		dst = append(dst, name...)
		dst = append(dst, '\n')
		dst = append(dst, value...)
		dst = append(dst, '\n')
	}
	switch e.Type {
	case SNSNotification:
		field("Message", e.Message)
		field("MessageId", e.MessageID)
		if e.HasSubject {
			field("Subject", e.Subject)
		}
		field("Timestamp", e.Timestamp)
		field("TopicArn", e.TopicARN)
		field("Type", e.Type)
	case SNSSubscriptionConfirmation, SNSUnsubscribeConfirmation:
		field("Message", e.Message)
		field("MessageId", e.MessageID)
		field("SubscribeURL", e.SubscribeURL)
		field("Timestamp", e.Timestamp)
		field("Token", e.Token)
		field("TopicArn", e.TopicARN)
		field("Type", e.Type)
	default:
		return dst, fmt.Errorf("%w: SNS message type %q has no string to sign", ErrMalformed, e.Type)
	}
	return dst, nil
}
