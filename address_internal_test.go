package sesguard

import (
	"strings"
	"testing"
)

// FuzzCanonicalFastPathAgrees keeps canonicalASCII, the fast path, equal to
// the general path (net/mail, then IDNA) on every input it accepts. A bare
// address it accepts must be accepted by net/mail too; for "Name <addr>" the
// fast path drops the display name unread, so net/mail may refuse a name
// the fast path ignores, but where both accept they must agree.
func FuzzCanonicalFastPathAgrees(f *testing.F) {
	for _, s := range []string{
		"bob@example.com", "Bob@EXAMPLE.COM", "Bob <Bob@Example.com>", `"Smith, Bob" <bob@example.com>`,
		"bob@example.com.", "a.b-c+d@sub.example-site.org", "x@ab--cd.example", "x@xn--bcher-kva.example",
		"x@-a.example", "x@a..example", "o'hara@example.com", "<a@b.c>", "a@b", "a@1.2.3.4",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, keepCase bool) {
		fast, ok := canonicalASCII(in, keepCase)
		if !ok {
			return
		}
		a, err := addressParser.Parse(in)
		if err != nil {
			if !strings.Contains(in, "<") {
				t.Fatalf("fast path accepted bare %q as %q; net/mail refuses it: %v", in, fast, err)
			}
			return
		}
		slow, err := canonicalSpec(a.Address, keepCase)
		if err != nil {
			t.Fatalf("fast path accepted %q as %q; the general path refuses it: %v", in, fast, err)
		}
		if fast != slow {
			t.Fatalf("%q: fast path %q, general path %q", in, fast, slow)
		}
	})
}
