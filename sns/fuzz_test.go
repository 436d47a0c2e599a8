package sns_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sesguard/sesguard/sns"
)

// FuzzVerify mutates real signed messages and holds the validator to two
// properties: it never asks for a certificate at a URL that is not an SNS
// certificate URL, and it never accepts a message whose signed content is
// not exactly that of a genuine message.
func FuzzVerify(f *testing.F) {
	genuine := map[string]bool{}
	for _, data := range realMessages(f) {
		f.Add(data)
		for _, e := range envelopesOf(f, data) {
			s, err := e.StringToSign()
			if err != nil {
				f.Fatal(err)
			}
			genuine[string(s)] = true
		}
	}
	src := fixtures()
	v := newValidator(f, src)
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range envelopes(data) {
			err := v.Validate(t.Context(), e)
			mu.Lock()
			for _, u := range src.URLs() {
				if sns.CheckCertURL(u) != nil {
					t.Fatalf("certificate asked for at %s", u)
				}
			}
			mu.Unlock()
			if err != nil {
				continue
			}
			s, _ := e.StringToSign()
			if !genuine[string(s)] {
				t.Fatalf("a message that AWS did not sign validated:\n%s", s)
			}
		}
	})
}

// FuzzParseEnvelope holds ParseEnvelope to encoding/json, an independent
// decoder, on any input: it never panics, every error wraps
// ErrMalformedEnvelope, it accepts only what encoding/json calls valid,
// and every field it decodes is the one encoding/json decodes.
func FuzzParseEnvelope(f *testing.F) {
	for _, data := range realMessages(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := sns.ParseEnvelope(data)
		if err != nil {
			if !errors.Is(err, sns.ErrMalformedEnvelope) {
				t.Fatalf("error %v does not wrap ErrMalformedEnvelope", err)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("ParseEnvelope accepted what encoding/json rejects: %v", err)
		}
		// A URL field may come in either spelling, but with a value
		// in one at most.
		str := func(names ...string) string {
			var out string
			for _, n := range names {
				s, _ := m[n].(string)
				out += s
			}
			return out
		}
		for name, got := range map[string]string{
			"Type": e.Type, "MessageId": e.MessageID, "TopicArn": e.TopicARN, "Message": e.Message,
			"Timestamp": e.Timestamp, "Token": e.Token, "Signature": e.Signature, "SignatureVersion": e.SignatureVersion,
			"SigningCertURL": e.SigningCertURL, "SubscribeURL": e.SubscribeURL, "UnsubscribeURL": e.UnsubscribeURL,
		} {
			spellings := []string{name}
			if strings.HasSuffix(name, "URL") {
				spellings = append(spellings, strings.TrimSuffix(name, "RL")+"rl")
			}
			if want := str(spellings...); got != want {
				t.Fatalf("%s: decoded %q, encoding/json %q", name, got, want)
			}
		}
		if s, ok := m["Subject"].(string); ok != e.HasSubject || s != e.Subject {
			t.Fatalf("Subject: decoded %q (%v), encoding/json %q (%v)", e.Subject, e.HasSubject, s, ok)
		}
		attrs, _ := m["MessageAttributes"].(map[string]any)
		if len(attrs) != len(e.MessageAttributes) {
			t.Fatalf("MessageAttributes: decoded %d, encoding/json %d", len(e.MessageAttributes), len(attrs))
		}
		for name, a := range e.MessageAttributes {
			want, _ := attrs[name].(map[string]any)
			if tv, _ := want["Type"].(string); tv != a.Type {
				t.Fatalf("MessageAttributes[%q].Type: decoded %q, encoding/json %q", name, a.Type, tv)
			}
			if vv, _ := want["Value"].(string); vv != a.Value {
				t.Fatalf("MessageAttributes[%q].Value: decoded %q, encoding/json %q", name, a.Value, vv)
			}
		}
	})
}
