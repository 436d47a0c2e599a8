package sesguard

import (
	"errors"
	"fmt"
)

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
// Parse does not verify SNS signatures: use it where AWS itself handed
// over the payload (an SQS queue the application polls, a Lambda
// invocation), and [Verifier] or the HTTP handler everywhere else.
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

// parsePayload decodes one payload; records says whether a Lambda event's
// Records may appear (not inside an SQS body).
func parsePayload(data []byte, records bool) ([]*Notification, error) {
	d := jsonDecoder{data: data}
	e := &Envelope{}
	var seen envelopeFields
	var out []*Notification
	var hasRecords, bare bool
	err := d.object(func(key []byte) error {
		if ok, err := e.field(&d, key, &seen); ok || err != nil {
			return err
		}
		switch string(key) {
		case "Records":
			if !records {
				return fmt.Errorf("a Lambda event inside an SQS message body")
			}
			hasRecords = true
			return d.array(func() error {
				ns, err := parseRecord(&d)
				out = append(out, ns...)
				return err
			})
		case "notificationType", "eventType":
			bare = true
		}
		e.Unknown = append(e.Unknown, string(key))
		return d.skip()
	})
	if err == nil {
		err = d.end()
	}
	switch {
	case err != nil:
		return nil, err
	case hasRecords:
		if seen != 0 || bare {
			return nil, errors.New("a Lambda event mixed with other fields")
		}
		return out, nil
	case seen != 0:
		if err := e.check(seen); err != nil {
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

// parseRecord decodes one record of a Lambda event: an SNS record (Sns) or
// an SQS record (body).
func parseRecord(d *jsonDecoder) ([]*Notification, error) {
	var out []*Notification
	found := false
	err := d.object(func(key []byte) error {
		switch string(key) {
		case "Sns":
			if found {
				return errors.New("a Lambda record with more than one message")
			}
			found = true
			e := &Envelope{}
			var seen envelopeFields
			err := d.object(func(key []byte) error {
				if ok, err := e.field(d, key, &seen); ok || err != nil {
					return err
				}
				e.Unknown = append(e.Unknown, string(key))
				return d.skip()
			})
			if err == nil {
				err = e.check(seen)
			}
			if err != nil {
				return fmt.Errorf("record field Sns: %w", err)
			}
			n, err := fromEnvelope(e)
			out = append(out, n)
			return err
		case "body":
			if found {
				return errors.New("a Lambda record with more than one message")
			}
			found = true
			body, err := d.str()
			if err != nil {
				return fmt.Errorf("body: %w", err)
			}
			ns, err := parsePayload([]byte(body), false)
			if err != nil {
				return fmt.Errorf("body: %w", err)
			}
			out = append(out, ns...)
			return nil
		}
		return d.skip()
	})
	if err == nil && !found {
		err = errors.New("a Lambda record with neither Sns nor body")
	}
	return out, err
}

// fromEnvelope decodes the SES notification in a Notification envelope's
// Message. Other SNS message types, and messages that are not SES
// notifications, give a Notification with an empty Type.
func fromEnvelope(e *Envelope) (*Notification, error) {
	if e.Type != SNSNotification || !isObject(e.message) {
		return &Notification{SNS: e}, nil
	}
	n, err := decodeSES(e.message)
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
	d := jsonDecoder{data: data}
	return d.peek() == '{'
}
