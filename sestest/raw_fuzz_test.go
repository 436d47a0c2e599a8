package sestest

import (
	"strings"
	"testing"
)

// FuzzParseRaw feeds arbitrary raw MIME to the parser: it must not panic,
// and what it accepts has header fields with valid names.
func FuzzParseRaw(f *testing.F) {
	f.Add([]byte("From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody"))
	f.Add([]byte("Subject: =?UTF-8?B?w6k=?=\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGk=\n--x--\n"))
	f.Add([]byte("To: a@b.c\r\n folded\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := parseRaw(raw)
		if err != nil {
			return
		}
		if len(p.headers) == 0 {
			t.Fatal("accepted a message without header fields")
		}
		for _, h := range p.headers {
			if !headerNameSyntax.MatchString(h.Name) || strings.ContainsAny(h.Value, "\r\n") {
				t.Fatalf("header %q: %q", h.Name, h.Value)
			}
		}
	})
}
