package verify

import (
	"context"
	"net/mail"
	"testing"
)

// benchAddrs are ordinary addresses of the kind a sign-up form collects.
var benchAddrs = []string{
	"jane.doe@example.com",
	"bob+newsletter@mail.example.org",
	"a.very.long.local.part.indeed@subdomain.example.co.uk",
	"x@y.io",
}

// BenchmarkSyntax measures ParseAddress beside net/mail.ParseAddress on the
// same inputs, in the same run.
func BenchmarkSyntax(b *testing.B) {
	b.Run("verify.ParseAddress", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := ParseAddress(benchAddrs[i%len(benchAddrs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("net/mail.ParseAddress", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := mail.ParseAddress(benchAddrs[i%len(benchAddrs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify.ParseAddress/IDN", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseAddress("user@b\u00fccher.example"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSuggestDomain(b *testing.B) {
	cases := []struct{ name, domain string }{
		{"typo", "gmial.com"},
		{"miss", "example-company.com"},
		{"known", "hotmail.com"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				SuggestDomain(tc.domain)
			}
		})
	}
}

func BenchmarkIsDisposable(b *testing.B) {
	disposableSet() // load the list outside the timer
	cases := []struct{ name, domain string }{
		{"miss", "mail.example.co.uk"},
		{"listed", "mailinator.com"},
		{"subdomain", "eu.mailinator.com"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				IsDisposable(tc.domain)
			}
		})
	}
}

// BenchmarkChainOffline measures a chain of every offline checker, the
// pre-send cost when the DNS answer is cached.
func BenchmarkChainOffline(b *testing.B) {
	var lists Lists
	lists.Deny("blocked.example")
	c := NewChain(&lists, Typos{}, Disposable{}, Roles{}, FreeProviders{})
	ctx := context.Background()
	disposableSet()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.Verify(ctx, benchAddrs[i%len(benchAddrs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDisposableLoad measures the one-time cost, paid by the first
// disposable check rather than at import, of parsing the embedded list.
func BenchmarkDisposableLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if len(parseDomainList(disposableText)) == 0 {
			b.Fatal("empty list")
		}
	}
}
