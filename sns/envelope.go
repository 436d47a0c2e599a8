package sns

import (
	"errors"
	"fmt"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The SNS message types, the values of [Envelope.Type].
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// ErrMalformedEnvelope is wrapped by every error of [ParseEnvelope]: the
// input is not an SNS message. The error text says what is wrong.
var ErrMalformedEnvelope = errors.New("sns: malformed SNS message")

// Envelope is an SNS message as SNS delivers it to an HTTP(S) endpoint or
// an SQS queue, or inside a Lambda SNS event record. Its signature covers
// the values of a fixed set of fields (see [Envelope.StringToSign]);
// everything else in it, MessageAttributes and the URLs included, is
// unauthenticated until [Validator.Validate] succeeds, and even then only
// the signed fields are vouched for.
type Envelope struct {
	Type      string // Notification, SubscriptionConfirmation or UnsubscribeConfirmation
	MessageID string // the same on every retry of one message
	TopicARN  string
	Message   string // the published payload
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

	// Unknown lists, sorted, the fields of the envelope that SNS does not
	// document.
	Unknown []string
}

// MessageAttribute is one SNS message attribute. Attributes are not
// covered by the signature.
type MessageAttribute struct {
	Type  string // String, String.Array, Number or Binary
	Value string
}

// envelopeJSON is the wire form of an envelope. The URL fields come in
// two spellings (HTTP and SQS: SigningCertURL; Lambda: SigningCertUrl); a
// message that gives one field a value under both is refused rather than
// read either way.
type envelopeJSON struct {
	Type              string                      `json:"Type"`
	MessageID         string                      `json:"MessageId"`
	TopicARN          string                      `json:"TopicArn"`
	Message           string                      `json:"Message"`
	Timestamp         string                      `json:"Timestamp"`
	Subject           *string                     `json:"Subject"`
	SignatureVersion  string                      `json:"SignatureVersion"`
	Signature         string                      `json:"Signature"`
	SigningCertURL    string                      `json:"SigningCertURL"`
	SigningCertURL2   string                      `json:"SigningCertUrl"`
	SubscribeURL      string                      `json:"SubscribeURL"`
	SubscribeURL2     string                      `json:"SubscribeUrl"`
	UnsubscribeURL    string                      `json:"UnsubscribeURL"`
	UnsubscribeURL2   string                      `json:"UnsubscribeUrl"`
	Token             string                      `json:"Token"`
	MessageAttributes map[string]MessageAttribute `json:"MessageAttributes"`
	Unknown           map[string]jsontext.Value   `json:",embed"`
}

// ParseEnvelope decodes an SNS message as SNS posts it to an HTTP(S)
// endpoint, sends it to SQS, or hands it to Lambda in a record's Sns
// field: with either the HTTP spelling of the URL fields (SigningCertURL)
// or Lambda's (SigningCertUrl), and a Subject that is absent, null or a
// string. Type, MessageId, TopicArn, Message and Timestamp are required;
// fields SNS does not document are tolerated and listed in Unknown.
//
// The input must be valid JSON (UTF-8, each name once: a message that
// repeats a field, or gives one both spellings, is refused). Field names
// match exactly, as SNS writes them.
//
// ParseEnvelope does not check the signature: see [Validator]. Every
// error wraps [ErrMalformedEnvelope].
func ParseEnvelope(data []byte) (*Envelope, error) {
	var w envelopeJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEnvelope, err)
	}
	e := &Envelope{
		Type:              w.Type,
		MessageID:         w.MessageID,
		TopicARN:          w.TopicARN,
		Message:           w.Message,
		Timestamp:         w.Timestamp,
		SignatureVersion:  w.SignatureVersion,
		Signature:         w.Signature,
		Token:             w.Token,
		MessageAttributes: w.MessageAttributes,
	}
	if w.Subject != nil {
		e.Subject, e.HasSubject = *w.Subject, true
	}
	for _, f := range [...]struct {
		name       string
		dst        *string
		http, lamb string
	}{
		{"SigningCertURL", &e.SigningCertURL, w.SigningCertURL, w.SigningCertURL2},
		{"SubscribeURL", &e.SubscribeURL, w.SubscribeURL, w.SubscribeURL2},
		{"UnsubscribeURL", &e.UnsubscribeURL, w.UnsubscribeURL, w.UnsubscribeURL2},
	} {
		if f.http != "" && f.lamb != "" {
			return nil, fmt.Errorf("%w: %s given in both spellings", ErrMalformedEnvelope, f.name)
		}
		*f.dst = f.http + f.lamb
	}
	if e.Type == "" || e.MessageID == "" || e.TopicARN == "" || e.Message == "" || e.Timestamp == "" {
		return nil, fmt.Errorf("%w: Type, MessageId, TopicArn, Message and Timestamp are required", ErrMalformedEnvelope)
	}
	if len(w.Unknown) > 0 {
		e.Unknown = make([]string, 0, len(w.Unknown))
		for name := range w.Unknown {
			e.Unknown = append(e.Unknown, name)
		}
		slices.Sort(e.Unknown)
	}
	return e, nil
}

// StringToSign returns the bytes SNS signed for e: for each signed field,
// in byte order of the names, the name, a newline, the value and a
// newline. A Notification signs Message, MessageId, Subject (only when
// present: an empty Subject is signed, a null or absent one is not),
// Timestamp, TopicArn and Type; a SubscriptionConfirmation and an
// UnsubscribeConfirmation sign Message, MessageId, SubscribeURL,
// Timestamp, Token, TopicArn and Type. Any other Type has no string to
// sign, and the error wraps [ErrSignature].
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
	case TypeNotification:
		field("Message", e.Message)
		field("MessageId", e.MessageID)
		if e.HasSubject {
			field("Subject", e.Subject)
		}
		field("Timestamp", e.Timestamp)
		field("TopicArn", e.TopicARN)
		field("Type", e.Type)
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		field("Message", e.Message)
		field("MessageId", e.MessageID)
		field("SubscribeURL", e.SubscribeURL)
		field("Timestamp", e.Timestamp)
		field("Token", e.Token)
		field("TopicArn", e.TopicARN)
		field("Type", e.Type)
	default:
		return dst, fmt.Errorf("%w: SNS message type %q has no string to sign", ErrSignature, e.Type)
	}
	return dst, nil
}
