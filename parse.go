package sesguard

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/sesguard/sesguard/sns"
)

// ErrMalformed is wrapped by every error for input that is not a
// well-formed SNS message, Lambda event or SES notification. The error
// text names the offending field; for an SNS message it also wraps
// [sns.ErrMalformedEnvelope].
var ErrMalformed = errors.New("sesguard: malformed notification")

// Parse decodes a payload in any of the shapes SES notifications arrive in
// and returns the notifications it holds, in order:
//
//   - an SNS message as SNS posts it to HTTP(S) or sends it to SQS, with
//     an SES notification in its Message;
//   - bare SES JSON, as raw message delivery sends it to SQS or HTTP(S);
//   - a Lambda SNS event ({"Records":[{"Sns":{...}}]}, with Lambda's
//     SigningCertUrl spelling and "Subject": null);
//   - a Lambda SQS event ({"Records":[{"body":"..."}]}) whose bodies are
//     either of the first two shapes.
//
// Parse does not check SNS signatures: use it where AWS itself handed
// over the payload (an SQS queue the application polls, a Lambda
// invocation), and an [sns.Validator] or [Client.SNSHandler] everywhere
// else. Nor does it check ages: a message may wait in a queue for days.
//
// An SNS message that is not an SES notification (a subscription
// confirmation, or a message someone else published to the topic) yields a
// Notification with an empty Type and the envelope in SNS, which
// [Client.Apply] ignores. Unknown fields and types are tolerated and
// reported in Unknown. Anything that is not one of these shapes, or is not
// valid JSON, is an error wrapping [ErrMalformed].
func Parse(data []byte) ([]*Notification, error) {
	out, err := parsePayload(data, true)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return out, nil
}

// payloadWire tells the shapes apart: a Lambda event has Records, an SNS
// message Type, bare SES JSON notificationType or eventType.
type payloadWire struct {
	Records          []recordWire   `json:"Records"`
	Type             jsontext.Value `json:"Type"`
	NotificationType jsontext.Value `json:"notificationType"`
	EventType        jsontext.Value `json:"eventType"`
}

// recordWire is one record of a Lambda event: an SNS record (Sns) or an
// SQS record (body).
type recordWire struct {
	SNS  jsontext.Value `json:"Sns"`
	Body *string        `json:"body"`
}

// parsePayload decodes one payload; records says whether a Lambda event's
// Records may appear (not inside an SQS body).
func parsePayload(data []byte, records bool) ([]*Notification, error) {
	var p payloadWire
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	bare := p.NotificationType != nil || p.EventType != nil
	switch {
	case p.Records != nil:
		if !records {
			return nil, errors.New("a Lambda event inside an SQS message body")
		}
		if p.Type != nil || bare {
			return nil, errors.New("a Lambda event mixed with other fields")
		}
		var out []*Notification
		for i, r := range p.Records {
			ns, err := parseRecord(r)
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", i, err)
			}
			out = append(out, ns...)
		}
		return out, nil
	case p.Type != nil:
		e, err := sns.ParseEnvelope(data)
		if err != nil {
			return nil, err
		}
		n, err := fromEnvelope(e)
		if err != nil {
			return nil, err
		}
		return []*Notification{n}, nil
	case bare:
		n, err := decodeSES(data)
		if err != nil {
			return nil, err
		}
		return []*Notification{n}, nil
	}
	return nil, errors.New("neither an SNS message, a Lambda event nor an SES notification")
}

func parseRecord(r recordWire) ([]*Notification, error) {
	switch {
	case r.SNS != nil && r.Body != nil:
		return nil, errors.New("a Lambda record with more than one message")
	case r.SNS != nil:
		e, err := sns.ParseEnvelope(r.SNS)
		if err != nil {
			return nil, fmt.Errorf("field Sns: %w", err)
		}
		n, err := fromEnvelope(e)
		if err != nil {
			return nil, fmt.Errorf("field Sns: %w", err)
		}
		return []*Notification{n}, nil
	case r.Body != nil:
		ns, err := parsePayload([]byte(*r.Body), false)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		return ns, nil
	}
	return nil, errors.New("a Lambda record with neither Sns nor body")
}

// fromEnvelope decodes the SES notification in a Notification envelope's
// Message. Other SNS message types, and messages that are not SES
// notifications, give a Notification with an empty Type.
func fromEnvelope(e *sns.Envelope) (*Notification, error) {
	msg := []byte(e.Message)
	if e.Type != sns.TypeNotification || !isObject(msg) {
		return &Notification{SNS: e}, nil
	}
	n, err := decodeSES(msg)
	switch {
	case errors.Is(err, errNotSES):
		return &Notification{SNS: e}, nil
	case err != nil:
		return nil, fmt.Errorf("field Message: %w", err)
	}
	n.SNS = e
	return n, nil
}

// isObject reports whether data starts, after whitespace, with '{'.
func isObject(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}
