package unsubscribe_test

import (
	"bytes"
	"net/mail"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/unsubscribe"
)

func newLinks(t testing.TB, base, mailto string) *unsubscribe.Links {
	t.Helper()
	l, err := unsubscribe.NewLinks(base, mailto, newKeys(t, unsubscribe.Key{ID: "k", Secret: secret(1)}))
	require.NoError(t, err)
	return l
}

func TestLinksValue(t *testing.T) {
	l := newLinks(t, "https://example.com/unsubscribe", "unsub@example.com")
	v, err := l.Value("bob@example.com", "news", issued)
	require.NoError(t, err)

	https, mailto, ok := strings.Cut(v, ", ")
	require.True(t, ok, v)
	require.True(t, strings.HasPrefix(https, "<https://example.com/unsubscribe?t=") && strings.HasSuffix(https, ">"), https)
	u, err := url.Parse(strings.Trim(https, "<>"))
	require.NoError(t, err)
	tok := u.Query().Get(unsubscribe.TokenParam)
	got, err := l.Keys().Parse(tok)
	require.NoError(t, err)
	assert.Equal(t, "bob@example.com", got.Address)
	assert.Equal(t, "news", got.List)
	assert.Equal(t, "<mailto:unsub@example.com?subject=unsubscribe%20"+tok+">", mailto)
	assert.NotContains(t, v, "bob")
}

func TestLinksBaseWithQuery(t *testing.T) {
	for base, prefix := range map[string]string{
		"https://example.com/u?tenant=7":  "https://example.com/u?tenant=7&t=",
		"https://example.com/u?tenant=7&": "https://example.com/u?tenant=7&t=",
		"https://example.com/u?":          "https://example.com/u?t=",
		"https://example.com":             "https://example.com?t=",
	} {
		u, err := newLinks(t, base, "").URL("a@b.c", "l", issued)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(u, prefix), "%s → %s", base, u)
	}
}

func TestNewLinksRefuses(t *testing.T) {
	keys := newKeys(t, unsubscribe.Key{ID: "k", Secret: secret(1)})
	for _, tc := range []struct{ name, base, mailto string }{
		{"http", "http://example.com/u", ""},
		{"relative", "/u", ""},
		{"fragment", "https://example.com/u#x", ""},
		{"credentials", "https://user:pw@example.com/u", ""},
		{"token parameter taken", "https://example.com/u?t=1", ""},
		{"mailto with a query", "https://example.com/u", "a@b.c?subject=x"},
		{"mailto not an address", "https://example.com/u", "unsubscribe"},
		{"mailto with a line break", "https://example.com/u", "a@b.c\r\nBcc: x@y.z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := unsubscribe.NewLinks(tc.base, tc.mailto, keys)
			require.Error(t, err)
		})
	}
	_, err := unsubscribe.NewLinks("https://example.com/u", "", nil)
	require.Error(t, err)
}

const rawCRLF = "From: a@example.com\r\nTo: bob@example.com\r\nSubject: hi\r\n" +
	"Content-Type: text/plain\r\n\r\nbody\r\nList-Unsubscribe: <https://not-a-header>\r\n"

func TestInsertRaw(t *testing.T) {
	l := newLinks(t, "https://example.com/unsubscribe", "unsub@example.com")
	v, err := l.Value("bob@example.com", "news", issued)
	require.NoError(t, err)

	t.Run("CRLF", func(t *testing.T) {
		out, ins, err := unsubscribe.InsertRaw([]byte(rawCRLF), v)
		require.NoError(t, err)
		require.True(t, ins)
		msg, err := mail.ReadMessage(bytes.NewReader(out))
		require.NoError(t, err)
		assert.Equal(t, v, msg.Header.Get("List-Unsubscribe"), "unfolded, the value is what Links made")
		assert.Equal(t, "List-Unsubscribe=One-Click", msg.Header.Get("List-Unsubscribe-Post"))
		assert.Len(t, msg.Header["List-Unsubscribe"], 1)
		assert.Equal(t, "hi", msg.Header.Get("Subject"))
		head, body, _ := bytes.Cut(out, []byte("\r\n\r\n"))
		assert.Equal(t, "body\r\nList-Unsubscribe: <https://not-a-header>\r\n", string(body), "the body is untouched")
		for line := range strings.SplitSeq(string(head), "\r\n") {
			assert.LessOrEqual(t, len(line), 998)
			assert.NotContains(t, line, "\n")
		}
		assert.Contains(t, string(head), ",\r\n <mailto:", "folded between the URIs")
		assert.True(t, strings.HasPrefix(string(out), "From: a@example.com\r\n"))
	})
	t.Run("LF", func(t *testing.T) {
		raw := strings.ReplaceAll(rawCRLF, "\r\n", "\n")
		out, ins, err := unsubscribe.InsertRaw([]byte(raw), v)
		require.NoError(t, err)
		require.True(t, ins)
		assert.NotContains(t, string(out), "\r")
		msg, err := mail.ReadMessage(bytes.NewReader(out))
		require.NoError(t, err)
		assert.Equal(t, v, msg.Header.Get("List-Unsubscribe"))
	})
	t.Run("short value on one line", func(t *testing.T) {
		out, _, err := unsubscribe.InsertRaw([]byte(rawCRLF), "<https://e.com/u?t=x>, <mailto:u@e.com>")
		require.NoError(t, err)
		assert.Contains(t, string(out), "\r\nList-Unsubscribe: <https://e.com/u?t=x>, <mailto:u@e.com>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nbody")
	})
	t.Run("never duplicated", func(t *testing.T) {
		for _, name := range []string{"List-Unsubscribe", "list-unsubscribe", "LIST-UNSUBSCRIBE "} {
			raw := []byte("From: a@example.com\r\n" + name + ": <mailto:x@y.z>\r\n\r\nbody")
			out, ins, err := unsubscribe.InsertRaw(raw, v)
			require.NoError(t, err)
			assert.False(t, ins)
			assert.Equal(t, raw, out)
		}
	})
	t.Run("existing Post field kept, not doubled", func(t *testing.T) {
		raw := []byte("From: a@example.com\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nbody")
		out, ins, err := unsubscribe.InsertRaw(raw, v)
		require.NoError(t, err)
		assert.True(t, ins)
		msg, err := mail.ReadMessage(bytes.NewReader(out))
		require.NoError(t, err)
		assert.Len(t, msg.Header["List-Unsubscribe-Post"], 1)
		assert.Equal(t, v, msg.Header.Get("List-Unsubscribe"))
	})
	t.Run("folded header before", func(t *testing.T) {
		raw := []byte("Subject: a\r\n long subject\r\nTo: b@c.d\r\n\r\n")
		out, _, err := unsubscribe.InsertRaw(raw, v)
		require.NoError(t, err)
		msg, err := mail.ReadMessage(bytes.NewReader(out))
		require.NoError(t, err)
		assert.Equal(t, "a long subject", msg.Header.Get("Subject"))
		assert.Equal(t, "b@c.d", msg.Header.Get("To"))
	})
	for name, raw := range map[string]string{
		"no header":         "\r\nbody",
		"no end":            "From: a@example.com\r\nTo: b@c.d",
		"empty":             "",
		"no blank line yet": "From: a@example.com\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := unsubscribe.InsertRaw([]byte(raw), v)
			require.Error(t, err)
		})
	}
	t.Run("line break in the value", func(t *testing.T) {
		_, _, err := unsubscribe.InsertRaw([]byte(rawCRLF), "<https://e.com>\r\nBcc: x@y.z")
		require.Error(t, err)
	})
	t.Run("URI too long for a line", func(t *testing.T) {
		_, _, err := unsubscribe.InsertRaw([]byte(rawCRLF), "<https://e.com/"+strings.Repeat("x", 1000)+">")
		require.Error(t, err)
	})
}
