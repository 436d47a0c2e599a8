package unsubscribe_test

import (
	"testing"

	"github.com/sesguard/sesguard/unsubscribe"
)

// BenchmarkLinksValue measures the List-Unsubscribe value of one
// recipient: a token issued and both URIs written.
func BenchmarkLinksValue(b *testing.B) {
	l := newLinks(b, "https://example.com/unsubscribe", "unsubscribe@example.com")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Value("someone.with.a.name@example.com", "weekly-digest", issued); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse measures verifying a token, as the handler does per
// request.
func BenchmarkParse(b *testing.B) {
	keys := newKeys(b, unsubscribe.Key{ID: "k", Secret: secret(1)})
	tok, err := keys.Issue("someone.with.a.name@example.com", "weekly-digest", issued)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keys.Parse(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertRaw measures adding both fields to a small raw message.
func BenchmarkInsertRaw(b *testing.B) {
	l := newLinks(b, "https://example.com/unsubscribe", "unsubscribe@example.com")
	v, err := l.Value("someone.with.a.name@example.com", "weekly-digest", issued)
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(rawCRLF)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := unsubscribe.InsertRaw(raw, v); err != nil {
			b.Fatal(err)
		}
	}
}
