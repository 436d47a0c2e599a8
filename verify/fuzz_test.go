package verify

import (
	"net/mail"
	"strings"
	"testing"
)

// FuzzSyntax checks that the syntax checker never panics, that everything
// it accepts respects the RFC 5321 limits and SES's ASCII rule, and that a
// valid verdict always round-trips through net/mail: net/mail parses both
// the input and the canonical form, and the canonical form re-parses to
// itself.
func FuzzSyntax(f *testing.F) {
	for _, tc := range syntaxCases {
		f.Add(tc.addr)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		a, err := ParseAddress(addr)
		if err != nil {
			return
		}
		canon := a.String()
		switch {
		case len(a.Local) > MaxLocalLength, len(a.Domain) > MaxDomainLength, len(canon) > MaxAddressLength:
			t.Fatalf("%q accepted past a length limit: %+v", addr, a)
		case strings.ContainsFunc(canon, func(r rune) bool { return r >= 0x80 }):
			t.Fatalf("%q accepted with a non-ASCII canonical form %q", addr, canon)
		case a.Domain != strings.ToLower(a.Domain):
			t.Fatalf("%q: domain %q is not lower case", addr, a.Domain)
		}
		if _, err := mail.ParseAddress(addr); err != nil {
			t.Fatalf("valid %q is refused by net/mail: %v", addr, err)
		}
		m, err := mail.ParseAddress(canon)
		if err != nil {
			t.Fatalf("canonical %q of %q is refused by net/mail: %v", canon, addr, err)
		}
		if !strings.HasSuffix(m.Address, "@"+a.Domain) {
			t.Fatalf("net/mail reads %q as %q; domain should be %q", canon, m.Address, a.Domain)
		}
		again, err := ParseAddress(canon)
		if err != nil || again != a {
			t.Fatalf("canonical %q re-parses to %+v, %v; want %+v", canon, again, err, a)
		}
	})
}
