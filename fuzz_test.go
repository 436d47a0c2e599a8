package sesguard

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

// FuzzParse holds the parser to three properties on any input: it never
// panics; it accepts only what encoding/json calls valid JSON, and all of
// that up to its nesting limit; and the envelope fields it decodes are the
// ones encoding/json decodes.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		d := jsonDecoder{data: data}
		err := d.skip()
		if err == nil {
			err = d.end()
		}
		deep := err != nil && strings.Contains(err.Error(), "nesting deeper")
		if valid := json.Valid(data); valid != (err == nil) && !deep {
			t.Fatalf("decoder says %v, encoding/json says valid=%v", err, valid)
		}

		ns, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for _, n := range ns {
			n.Records()
		}

		e, err := ParseEnvelope(data)
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("ParseEnvelope accepted what encoding/json rejects: %v", err)
		}
		for name, got := range map[string]string{
			"Type": e.Type, "MessageId": e.MessageID, "TopicArn": e.TopicARN, "Message": e.Message,
			"Timestamp": e.Timestamp, "Token": e.Token, "Signature": e.Signature,
		} {
			if want, _ := m[name].(string); got != want {
				t.Fatalf("%s: decoded %q, encoding/json %q", name, got, want)
			}
		}
		if s, ok := m["Subject"].(string); ok != e.HasSubject || s != e.Subject {
			t.Fatalf("Subject: decoded %q (%v), encoding/json %q (%v)", e.Subject, e.HasSubject, s, ok)
		}
	})
}

// FuzzVerify mutates real signed messages and holds the verifier to two
// properties: it never asks for a certificate at a URL that is not an SNS
// certificate URL, and it never accepts a message whose signed content is
// not exactly that of a genuine message.
func FuzzVerify(f *testing.F) {
	genuine := map[string]bool{}
	for _, data := range realMessages(f) {
		for _, e := range envelopesOf(f, data) {
			s, err := e.StringToSign()
			if err != nil {
				f.Fatal(err)
			}
			genuine[string(s)] = true
		}
	}
	src := &fixtureSource{}
	v := NewVerifier(func(o *VerifierOptions) { o.CertificateSource = src })
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, data []byte) {
		ns, err := Parse(data)
		if err != nil {
			return
		}
		for _, n := range ns {
			if n.SNS == nil {
				continue
			}
			err := v.Verify(context.Background(), n.SNS)
			mu.Lock()
			for _, u := range src.urls() {
				if checkCertURL(u) != nil {
					t.Fatalf("certificate asked for at %s", u)
				}
			}
			mu.Unlock()
			if err != nil {
				continue
			}
			s, _ := n.SNS.StringToSign()
			if !genuine[string(s)] {
				t.Fatalf("a message that AWS did not sign verified:\n%s", s)
			}
		}
	})
}
