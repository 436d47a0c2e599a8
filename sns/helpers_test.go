package sns_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
)

// certDir holds the real SNS signing certificates of the fixtures.
var certDir = filepath.Join("testdata", "certs")

// fixtures returns a certificate source for the fixtures and the test
// signer.
func fixtures() *snstest.Source { return snstest.NewSigner().NewSource(certDir) }

// newValidator returns a Validator over src that accepts any topic and
// any age, with optFns applied after.
func newValidator(t testing.TB, src sns.CertificateSource, optFns ...func(*sns.ValidatorOptions)) *sns.Validator {
	t.Helper()
	v, err := sns.NewValidator(append([]func(*sns.ValidatorOptions){func(o *sns.ValidatorOptions) {
		o.CertificateSource = src
		o.AllowAnyTopic = true
		o.MaxAge = sns.NoMaxAge
	}}, optFns...)...)
	require.NoError(t, err)
	return v
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// realMessages returns the real AWS-signed SNS payloads by file name.
func realMessages(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		out[filepath.Base(p)] = readFile(t, p)
	}
	return out
}

// envelopes returns the SNS envelopes of a payload: an envelope itself,
// or a Lambda event whose records hold envelopes (Sns) or SQS bodies that
// are envelopes. It returns nil for anything else.
func envelopes(data []byte) []*sns.Envelope {
	if e, err := sns.ParseEnvelope(data); err == nil {
		return []*sns.Envelope{e}
	}
	var event struct {
		Records []struct {
			Sns  json.RawMessage
			Body *string `json:"body"`
		}
	}
	if json.Unmarshal(data, &event) != nil {
		return nil
	}
	var out []*sns.Envelope
	for _, r := range event.Records {
		raw := []byte(r.Sns)
		if r.Body != nil {
			raw = []byte(*r.Body)
		}
		if e, err := sns.ParseEnvelope(raw); err == nil {
			out = append(out, e)
		}
	}
	return out
}

// envelopesOf is envelopes for a payload that must hold some.
func envelopesOf(t testing.TB, data []byte) []*sns.Envelope {
	t.Helper()
	out := envelopes(data)
	require.NotEmpty(t, out, "no SNS envelope in %.60q", data)
	return out
}

// signed returns a Notification signed by the test signer.
func signed(t testing.TB, id, message string) *sns.Envelope {
	t.Helper()
	e := &sns.Envelope{
		Type: sns.TypeNotification, MessageID: id, TopicARN: snstest.TopicARN,
		Message: message, Timestamp: "2026-01-01T00:00:00.000Z",
	}
	require.NoError(t, snstest.NewSigner().Sign(e))
	return e
}
