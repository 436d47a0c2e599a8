package sesguard_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sesguard/sesguard"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"already canonical", "bob@example.com", "bob@example.com"},
		{"upper-case domain", "bob@EXAMPLE.COM", "bob@example.com"},
		{"upper-case local part", "Bob.Smith@Example.com", "bob.smith@example.com"},
		{"display name dropped", "Bob Smith <Bob@Example.com>", "bob@example.com"},
		{"quoted display name", `"Smith, Bob" <bob@example.com>`, "bob@example.com"},
		{"encoded display name", "=?UTF-8?B?w4lsb2RpZQ==?= <elodie@example.fr>", "elodie@example.fr"},
		{"encoded display name, unknown charset", "=?x-unknown?Q?J=F6rg?= <jorg@example.de>", "jorg@example.de"},
		{"angle brackets only", "<bob@example.com>", "bob@example.com"},
		{"surrounding space", "  bob@example.com  ", "bob@example.com"},
		{"IDN domain", "user@Bücher.example", "user@xn--bcher-kva.example"},
		{"IDN domain already punycode", "user@XN--BCHER-KVA.example", "user@xn--bcher-kva.example"},
		{"IDN domain, full-width dot", "user@bücher。example", "user@xn--bcher-kva.example"},
		{"plus label kept", "Bounce+Label1@Simulator.AmazonSES.com", "bounce+label1@simulator.amazonses.com"},
		{"needless quotes removed", `"bob"@example.com`, "bob@example.com"},
		{"quoted local part with space kept quoted", `"John Doe"@example.com`, `"john doe"@example.com`},
		{"quoted local part with escaped quote", `"a\"b"@example.com`, `"a\"b"@example.com`},
		{"special atext", "o'hara!#$%&*+/=?^_`{|}~@example.com", "o'hara!#$%&*+/=?^_`{|}~@example.com"},
		{"address literal", "postmaster@[192.0.2.1]", "postmaster@[192.0.2.1]"},
		{"display name with comment", "bob@example.com (Bob)", "bob@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sesguard.Canonical(tc.in)
			if err != nil {
				t.Fatalf("Canonical(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("Canonical(%q) = %q, want %q", tc.in, got, tc.want)
			}
			again, err := sesguard.Canonical(got)
			if err != nil || again != got {
				t.Errorf("Canonical is not idempotent: Canonical(%q) = %q, %v", got, again, err)
			}
		})
	}
}

func TestCanonicalRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"no at sign", "bob.example.com"},
		{"no domain", "bob@"},
		{"no local part", "@example.com"},
		{"two addresses", "a@example.com, b@example.com"},
		{"double dot unquoted", "a..b@example.com"},
		{"leading dot", ".a@example.com"},
		{"only a dot for domain", "a@."},
		{"trailing dot on domain", "bob@example.com."},
		{"trailing dot on domain, display name", "Bob <bob@example.com.>"},
		{"invalid IDN label", "a@xn--zz.example"},
		{"underscore in domain", "a@ex_ample.com"},
		{"hyphen-leading label", "a@-example.com"},
		{"unterminated angle", "Bob <bob@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sesguard.Canonical(tc.in)
			if err == nil {
				t.Fatalf("Canonical(%q) = %q, want an error", tc.in, got)
			}
			if !errors.Is(err, sesguard.ErrInvalidAddress) {
				t.Errorf("error %v does not wrap ErrInvalidAddress", err)
			}
			if tc.in != "" && !strings.Contains(err.Error(), tc.in) {
				t.Errorf("error %q does not name the address %q", err, tc.in)
			}
		})
	}
}

func TestClientKeepLocalCase(t *testing.T) {
	_, api := newSES(t)
	c, err := sesguard.New(api, func(o *sesguard.Options) { o.KeepLocalCase = true })
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"John.Doe@Example.COM":       "John.Doe@example.com",
		"John <John@Bücher.Example>": "John@xn--bcher-kva.example",
		`"John Doe"@Example.com`:     `"John Doe"@example.com`,
	} {
		got, err := c.Canonical(in)
		if err != nil || got != want {
			t.Errorf("Canonical(%q) with KeepLocalCase = %q, %v; want %q", in, got, err, want)
		}
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		"bob@example.com", "Bob <Bob@Example.COM>", `"a b"@x.org`, "user@bücher.example",
		"=?UTF-8?B?w4lsb2RpZQ==?= <e@x.fr>", "a@[1.2.3.4]", "a@b@c", "<>", "@", "a@.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := sesguard.Canonical(in)
		if err != nil {
			if !errors.Is(err, sesguard.ErrInvalidAddress) {
				t.Fatalf("Canonical(%q) error %v does not wrap ErrInvalidAddress", in, err)
			}
			return
		}
		again, err := sesguard.Canonical(got)
		if err != nil {
			t.Fatalf("Canonical(%q) = %q, which is refused: %v", in, got, err)
		}
		if again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, got, again)
		}
	})
}
