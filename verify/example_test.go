package verify_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/sesguard/sesguard/verify"
)

func ExampleParseAddress() {
	for _, addr := range []string{
		"Jane.Doe@Example.COM",
		"bob@b\u00fccher.example",
		"j\u00f6rg@example.com",
		"Bob <bob@example.com>",
		"user@localhost",
	} {
		a, err := verify.ParseAddress(addr)
		var se *verify.SyntaxError
		if errors.As(err, &se) {
			fmt.Printf("%-24q invalid: %s\n", addr, se.Reason)
			continue
		}
		fmt.Printf("%-24q valid: %s\n", addr, a)
	}
	// Output:
	// "Jane.Doe@Example.COM"   valid: Jane.Doe@example.com
	// "bob@bücher.example"     valid: bob@xn--bcher-kva.example
	// "jörg@example.com"       invalid: non_ascii_local
	// "Bob <bob@example.com>"  invalid: syntax
	// "user@localhost"         invalid: localhost
}

func ExampleSuggestDomain() {
	for _, d := range []string{"gmial.com", "hotnail.com", "gmail.co", "gmail.com", "example.com"} {
		fmt.Printf("%s → %q\n", d, verify.SuggestDomain(d))
	}
	// Output:
	// gmial.com → "gmail.com"
	// hotnail.com → "hotmail.com"
	// gmail.co → "gmail.com"
	// gmail.com → ""
	// example.com → ""
}

// staticResolver answers MX queries from a map, for the example; in
// production leave DomainOptions.Resolver nil to use net.DefaultResolver.
type staticResolver map[string][]*net.MX

func (s staticResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	if mx, ok := s[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (s staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func ExampleChain() {
	dns := staticResolver{
		"example.com":    {{Host: "mx.example.com.", Pref: 10}},
		"gmial.com":      {{Host: "mx.gmial.com.", Pref: 10}},
		"mailinator.com": {{Host: "mx.mailinator.com.", Pref: 10}},
		"nomail.example": {{Host: ".", Pref: 0}}, // a null MX (RFC 7505)
	}
	var lists verify.Lists
	lists.Deny("competitor.example")

	chain := verify.NewChain(
		&lists,
		verify.Typos{},
		verify.Disposable{},
		verify.Roles{},
		verify.NewDomain(func(o *verify.DomainOptions) { o.Resolver = dns }),
	)
	for _, addr := range []string{
		"jane@example.com",
		"bob@gmial.com",
		"x@mailinator.com",
		"postmaster@example.com",
		"x@nomail.example",
		"x@gone.example",
		"x@competitor.example",
	} {
		r, err := chain.Verify(context.Background(), addr)
		if err != nil {
			fmt.Println(err)
			return
		}
		line := fmt.Sprintf("%-24s %-7s %-5s %-10s %s", addr, r.Verdict, verify.DefaultPolicy.Action(r.Verdict), r.Reason, r.Suggestion)
		fmt.Println(strings.TrimSpace(line))
	}
	// Output:
	// jane@example.com         valid   send
	// bob@gmial.com            risky   flag  typo       bob@gmail.com
	// x@mailinator.com         risky   flag  disposable
	// postmaster@example.com   risky   flag  role
	// x@nomail.example         invalid block null_mx
	// x@gone.example           invalid block no_domain
	// x@competitor.example     invalid block denied
}

func ExampleNewExternal() {
	// A stand-in for a ZeroBounce/NeverBounce/Kickbox client: map the
	// service's answer onto a verify.Status.
	service := verify.ExternalFunc(func(_ context.Context, addr string) (verify.ExternalResult, error) {
		if addr == "trap@example.com" {
			return verify.ExternalResult{Status: verify.StatusSpamtrap}, nil
		}
		return verify.ExternalResult{Status: verify.StatusCatchAll}, nil
	})
	ext := verify.NewExternal(service, func(o *verify.ExternalOptions) { o.Name = "zerobounce" })
	chain := verify.NewChain(ext)
	for _, addr := range []string{"trap@example.com", "anyone@example.com"} {
		r, _ := chain.Verify(context.Background(), addr)
		fmt.Println(addr, r.Verdict, r.Reason, r.Checker)
	}
	// Output:
	// trap@example.com invalid spamtrap zerobounce
	// anyone@example.com risky catch_all zerobounce
}

func ExamplePolicy() {
	strict := verify.Policy{Risky: verify.ActionBlock}
	for _, v := range []verify.Verdict{verify.Valid, verify.Unknown, verify.Risky, verify.Invalid} {
		fmt.Println(v, verify.DefaultPolicy.Action(v), strict.Action(v))
	}
	// Output:
	// valid send send
	// unknown flag flag
	// risky flag block
	// invalid block block
}
