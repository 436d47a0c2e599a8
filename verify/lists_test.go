package verify

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

func TestDisposable(t *testing.T) {
	cases := []struct {
		domain string
		match  string // "" = not disposable
	}{
		{"mailinator.com", "mailinator.com"},           // listed
		{"eu.mailinator.com", "mailinator.com"},        // subdomain of a listed domain
		{"a.b.guerrillamail.com", "guerrillamail.com"}, // deeper subdomain
		{"yopmail.fr", "yopmail.fr"},
		{"10minutemail.co.uk", "10minutemail.co.uk"}, // under a two-label public suffix
		{"x.10minutemail.co.uk", "10minutemail.co.uk"},
		{"dis.hopto.org", "dis.hopto.org"},    // listed below a registrable domain
		{"mx.dis.hopto.org", "dis.hopto.org"}, // and its subdomain
		{"hopto.org", ""},                     // the parent is not listed
		{"pp.ua", ""},                         // a public suffix never matches by itself
		{"gmail.com", ""},
		{"example.com", ""},
		{"mailinator.com.example.org", ""}, // a listed name inside another domain
		{"zzmailinator.com", ""},           // a listed name as a suffix without a dot
		{"[192.0.2.1]", ""},
	}
	for _, tc := range cases {
		t.Run(tc.domain, func(t *testing.T) {
			if got := IsDisposable(tc.domain); got != tc.match {
				t.Fatalf("IsDisposable(%q) = %q; want %q", tc.domain, got, tc.match)
			}
			r, _ := Disposable{}.Check(context.Background(), Address{Local: "u", Domain: tc.domain})
			if (r.Verdict == Risky && r.Reason == ReasonDisposable && r.Flags.Has(FlagDisposable)) != (tc.match != "") {
				t.Fatalf("Check = %+v", r)
			}
			if b, _ := (Disposable{Block: true}).Check(context.Background(), Address{Local: "u", Domain: tc.domain}); (b.Verdict == Invalid) != (tc.match != "") {
				t.Fatalf("Block: Check = %+v", b)
			}
		})
	}
}

func TestDisposableListIsWellFormed(t *testing.T) {
	set := disposableSet()
	if len(set) != 4385 {
		t.Errorf("%d domains; the embedded list has 4385", len(set))
	}
	for d := range set {
		a, err := ParseAddress("u@" + d)
		if err != nil || a.Domain != d {
			t.Errorf("list entry %q is not a canonical domain: %v", d, err)
		}
	}
}

func TestLists(t *testing.T) {
	var l Lists
	if n := l.Deny("spam.example", "Bad@Good.Example", "sub.partner.example", "not a domain@@"); n != 3 {
		t.Fatalf("Deny added %d; want 3", n)
	}
	if n := l.Allow("partner.example", "ok@spam.example", "b\u00fccher.example"); n != 3 {
		t.Fatalf("Allow added %d; want 3", n)
	}
	cases := []struct {
		addr    Address
		verdict Verdict
		reason  Reason
	}{
		{Address{"x", "spam.example"}, Invalid, ReasonDenied},
		{Address{"x", "a.spam.example"}, Invalid, ReasonDenied},      // subdomains are covered
		{Address{"ok", "spam.example"}, Valid, ReasonAllowed},        // an address beats its domain
		{Address{"OK", "spam.example"}, Valid, ReasonAllowed},        // local parts compare without case
		{Address{"bad", "good.example"}, Invalid, ReasonDenied},      // address entries are canonicalised
		{Address{"good", "good.example"}, Valid, ""},                 // the domain itself is not listed
		{Address{"x", "partner.example"}, Valid, ReasonAllowed},      // allowed domain
		{Address{"x", "sub.partner.example"}, Invalid, ReasonDenied}, // the more specific deny wins
		{Address{"x", "a.sub.partner.example"}, Invalid, ReasonDenied},
		{Address{"x", "xn--bcher-kva.example"}, Valid, ReasonAllowed}, // IDN entries are stored as A-labels
		{Address{"x", "other.example"}, Valid, ""},
	}
	for _, tc := range cases {
		t.Run(tc.addr.String(), func(t *testing.T) {
			r, err := l.Check(context.Background(), tc.addr)
			if err != nil || r.Verdict != tc.verdict || r.Reason != tc.reason {
				t.Fatalf("Check = %+v, %v; want %v/%q", r, err, tc.verdict, tc.reason)
			}
		})
	}
	t.Run("deny beats allow for the same entry", func(t *testing.T) {
		var l Lists
		l.Allow("both.example")
		l.Deny("both.example")
		if r, _ := l.Check(context.Background(), Address{"x", "both.example"}); r.Reason != ReasonDenied {
			t.Fatalf("Check = %+v; want denied", r)
		}
	})
	t.Run("remove", func(t *testing.T) {
		if n := l.Remove("spam.example", "absent.example"); n != 1 {
			t.Fatalf("Remove = %d; want 1", n)
		}
		if r, _ := l.Check(context.Background(), Address{"x", "spam.example"}); r.Reason != "" {
			t.Fatalf("after Remove: %+v", r)
		}
	})
}

// TestListsConcurrentUpdates updates the lists while other goroutines
// check: under -race this proves updates are safe, and every check sees
// either the old or the new list, never a torn one.
func TestListsConcurrentUpdates(t *testing.T) {
	var l Lists
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				d := fmt.Sprintf("w%d-%d.example", w, i)
				l.Deny(d)
				if r, _ := l.Check(context.Background(), Address{"x", d}); r.Reason != ReasonDenied {
					t.Errorf("%s not denied right after Deny", d)
					return
				}
				l.Remove(d)
			}
		})
	}
	wg.Wait()
}

func TestRolesAndFree(t *testing.T) {
	cases := []struct {
		addr         Address
		role, free   bool
		roleBlockVer Verdict
	}{
		{Address{"postmaster", "example.com"}, true, false, Invalid},
		{Address{"Abuse", "example.com"}, true, false, Invalid},
		{Address{"noreply+signup", "example.com"}, true, false, Invalid},
		{Address{"no-reply", "gmail.com"}, true, true, Invalid},
		{Address{"jane", "gmail.com"}, false, true, Valid},
		{Address{"jane", "example.com"}, false, false, Valid},
		{Address{"information", "example.com"}, false, false, Valid},
		{Address{`"postmaster"`, "example.com"}, false, false, Valid},
		{Address{"averyveryverylonglocalpart", "example.com"}, false, false, Valid},
	}
	for _, tc := range cases {
		t.Run(tc.addr.String(), func(t *testing.T) {
			r, _ := Roles{}.Check(context.Background(), tc.addr)
			if got := r.Verdict == Risky && r.Flags.Has(FlagRole) && r.Reason == ReasonRole; got != tc.role {
				t.Errorf("Roles = %+v; role %v", r, tc.role)
			}
			if b, _ := (Roles{Block: true}).Check(context.Background(), tc.addr); b.Verdict != tc.roleBlockVer {
				t.Errorf("Roles{Block} = %v; want %v", b.Verdict, tc.roleBlockVer)
			}
			f, _ := FreeProviders{}.Check(context.Background(), tc.addr)
			if got := f.Verdict == Valid && f.Flags.Has(FlagFree); got != tc.free {
				t.Errorf("FreeProviders = %+v; free %v", f, tc.free)
			}
			if fr, _ := (FreeProviders{Risky: true}).Check(context.Background(), tc.addr); (fr.Verdict == Risky) != tc.free {
				t.Errorf("FreeProviders{Risky} = %+v", fr)
			}
		})
	}
}

func TestTypos(t *testing.T) {
	cases := []struct{ domain, fix string }{
		{"gmial.com", "gmail.com"},  // transposition
		{"gamil.com", "gmail.com"},  // transposition
		{"gmai.com", "gmail.com"},   // deletion
		{"gmaill.com", "gmail.com"}, // insertion
		{"gnail.com", "gmail.com"},  // substitution
		{"gmail.co", "gmail.com"},   // truncated TLD
		{"gmail.con", "gmail.com"},  // TLD substitution
		{"gmail.cmo", "gmail.com"},  // TLD transposition
		{"hotnail.com", "hotmail.com"},
		{"hotmial.com", "hotmail.com"},
		{"hotmail.co", "hotmail.com"},
		{"yahooo.com", "yahoo.com"},
		{"yaho.com", "yahoo.com"},
		{"outlok.com", "outlook.com"},
		{"iclod.com", "icloud.com"},
		{"gmx.ne", "gmx.net"},
		{"gmail.com", ""},      // the real thing
		{"googlemail.com", ""}, // also real
		{"ymail.com", ""},      // a real Yahoo domain one edit from gmail.com
		{"email.com", ""},      // a real provider one edit from gmail.com
		{"mail.com", ""},       // real, two edits away
		{"gmx.de", ""},         // real, close to gmx.net
		{"example.com", ""},
		{"gmail.company.com", ""},
		{"g.co", ""}, // too short to judge
	}
	for _, tc := range cases {
		t.Run(tc.domain, func(t *testing.T) {
			if got := SuggestDomain(tc.domain); got != tc.fix {
				t.Fatalf("SuggestDomain(%q) = %q; want %q", tc.domain, got, tc.fix)
			}
			r, _ := Typos{}.Check(context.Background(), Address{"bob", tc.domain})
			if tc.fix == "" {
				if r != (Result{}) {
					t.Fatalf("Check = %+v; want zero", r)
				}
				return
			}
			if r.Verdict != Risky || r.Reason != ReasonTypo || r.Suggestion != "bob@"+tc.fix || !r.Flags.Has(FlagTypo) {
				t.Fatalf("Check = %+v", r)
			}
		})
	}
}

func TestOneEdit(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"abc", "abc", false},
		{"abc", "abd", true},
		{"abc", "bac", true},
		{"abc", "acb", true},
		{"abc", "ab", true},
		{"abc", "abcd", true},
		{"abc", "xabc", true},
		{"abc", "cba", false},
		{"abc", "a", false},
		{"abcd", "badc", false},
		{"", "a", true},
	}
	for _, tc := range cases {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			if got := oneEdit(tc.a, tc.b); got != tc.want {
				t.Fatalf("oneEdit(%q, %q) = %v", tc.a, tc.b, got)
			}
			if got := oneEdit(tc.b, tc.a); got != tc.want {
				t.Fatalf("oneEdit(%q, %q) = %v (reversed)", tc.b, tc.a, got)
			}
		})
	}
}
