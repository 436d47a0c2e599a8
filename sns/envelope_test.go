package sns_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
)

func TestParseEnvelopeShapes(t *testing.T) {
	e := signed(t, "m1", `{"hello":"world"}`)
	e.UnsubscribeURL = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
	for _, lambda := range []bool{false, true} {
		got, err := sns.ParseEnvelope(snstest.Marshal(e, lambda))
		require.NoError(t, err)
		assert.Equal(t, e, got, "lambda spelling %v", lambda)
	}

	t.Run("Subject: absent, null, empty, set", func(t *testing.T) {
		base := string(snstest.Marshal(e, false))
		for _, tt := range []struct {
			member  string
			subject string
			has     bool
		}{
			{``, "", false},
			{`"Subject":null,`, "", false},
			{`"Subject":"",`, "", true},
			{`"Subject":"Hello",`, "Hello", true},
		} {
			got, err := sns.ParseEnvelope([]byte("{" + tt.member + base[1:]))
			require.NoError(t, err, tt.member)
			assert.Equal(t, tt.subject, got.Subject, tt.member)
			assert.Equal(t, tt.has, got.HasSubject, tt.member)
		}
	})

	t.Run("unknown fields are listed", func(t *testing.T) {
		got, err := sns.ParseEnvelope(readFile(t, filepath.Join("testdata", "negative", "tampered-message.json")))
		require.NoError(t, err)
		assert.Equal(t, []string{"_negative_reason"}, got.Unknown)
	})

	t.Run("message attributes", func(t *testing.T) {
		got, err := sns.ParseEnvelope(readFile(t, filepath.Join("testdata", "xrepo-7ff53-us-west-2-notification-v1-msgattrs.json")))
		require.NoError(t, err)
		require.NotEmpty(t, got.MessageAttributes)
		for name, a := range got.MessageAttributes {
			assert.NotEmpty(t, a.Type, name)
		}
	})
}

func TestParseEnvelopeMalformed(t *testing.T) {
	valid := map[string]any{
		"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Timestamp": "x", "Message": "{}",
	}
	with := func(kv ...any) string {
		m := map[string]any{}
		for k, v := range valid {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
				continue
			}
			m[kv[i].(string)] = kv[i+1]
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	tests := []struct{ name, data string }{
		{"empty", ""},
		{"null", "null"},
		{"array", "[]"},
		{"string", `"Notification"`},
		{"unterminated", `{"Type":"Notification"`},
		{"not an SNS message", `{"hello":"world"}`},
		{"no MessageId", with("MessageId", nil)},
		{"no Message", with("Message", nil)},
		{"empty TopicArn", with("TopicArn", "")},
		{"field twice", `{"Type":"Notification",` + with()[1:]},
		{"both spellings", with("SigningCertURL", "a", "SigningCertUrl", "b")},
		{"SubscribeURL in both spellings", with("SubscribeURL", "a", "SubscribeUrl", "a")},
		{"number for a string", with("Type", 1)},
		{"object for a string", with("Signature", map[string]any{})},
		{"attributes not an object", with("MessageAttributes", "x")},
		{"wrong case", strings.Replace(with(), `"MessageId"`, `"messageid"`, 1)},
		{"trailing data", with() + "x"},
		{"two values", with() + with()},
		{"invalid UTF-8", strings.Replace(with(), `"m"`, "\"\xff\"", 1)},
		{"control character", strings.Replace(with(), `"m"`, "\"a\x01b\"", 1)},
		{"deep nesting", strings.Replace(with(), `"{}"`, strings.Repeat("[", 20000)+strings.Repeat("]", 20000), 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := sns.ParseEnvelope([]byte(tt.data))
			require.ErrorIs(t, err, sns.ErrMalformedEnvelope, "parsed %+v", e)
			assert.Nil(t, e)
		})
	}
}

// TestParseEnvelopeEscapes holds the decoding of signed strings to
// encoding/json's on the real messages whose values carry escapes: CRLF,
// escaped slashes, surrogate pairs and a literal backslash-u.
func TestParseEnvelopeEscapes(t *testing.T) {
	for _, name := range []string{
		"dotnet2015-notification-v1-subject-crlf.json",
		"laravel2020-ses-bounce-notification.json",
		"perl2019-notification-v1-unicode.json",
		"xrepo-7506a1-sqs-body-unicode-escapes.json",
	} {
		t.Run(name, func(t *testing.T) {
			data := readFile(t, filepath.Join("testdata", name))
			var want map[string]any
			require.NoError(t, json.Unmarshal(data, &want))
			e, err := sns.ParseEnvelope(data)
			require.NoError(t, err)
			assert.Equal(t, want["Message"], e.Message)
			if s, ok := want["Subject"].(string); ok {
				assert.Equal(t, s, e.Subject)
			}
		})
	}
}
