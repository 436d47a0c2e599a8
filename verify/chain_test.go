package verify

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
)

func newTestChain(f *fakeResolver, lists *Lists) *Chain {
	return NewChain(lists, Typos{}, Disposable{}, Roles{}, FreeProviders{},
		NewDomain(func(o *DomainOptions) { o.Resolver = f }))
}

func TestChain(t *testing.T) {
	f := newFake()
	for _, d := range []string{"gmail.com", "gmial.com", "mailinator.com", "example.com", "partner.example"} {
		f.mx[d] = []*net.MX{{Host: "mx." + d + ".", Pref: 10}}
	}
	var lists Lists
	lists.Deny("blocked.example")
	lists.Allow("partner.example", "mailinator.com")
	c := newTestChain(f, &lists)

	cases := []struct {
		addr       string
		verdict    Verdict
		reason     Reason
		checker    string
		flags      Flags
		suggestion string
		lookups    int32 // MX lookups this address costs
	}{
		{addr: "jane@gmail.com", verdict: Valid, reason: ReasonFree, checker: "free", flags: FlagFree, lookups: 1},
		{addr: "jane@example.com", verdict: Valid, lookups: 1},
		{addr: "bob@gmial.com", verdict: Risky, reason: ReasonTypo, checker: "typos", flags: FlagTypo | FlagDisposable, suggestion: "bob@gmail.com", lookups: 1},
		{addr: "bob@hotnail.com", verdict: Invalid, reason: ReasonNoDomain, checker: "domain", flags: FlagTypo, suggestion: "bob@hotmail.com", lookups: 1},
		{addr: "postmaster@example.com", verdict: Risky, reason: ReasonRole, checker: "roles", flags: FlagRole, lookups: 0}, // example.com is cached
		{addr: "u@null.example", verdict: Invalid, reason: ReasonNullMX, checker: "domain", lookups: 1},
		{addr: "u@timeout.example", verdict: Unknown, reason: ReasonDNSTimeout, checker: "domain", lookups: 1},
		{addr: "u@blocked.example", verdict: Invalid, reason: ReasonDenied, checker: "lists"},
		{addr: "u@partner.example", verdict: Valid, reason: ReasonAllowed, checker: "lists"},
		{addr: "u@mailinator.com", verdict: Valid, reason: ReasonAllowed, checker: "lists"}, // allow list beats the disposable list
		{addr: "u@@example.com", verdict: Invalid, reason: ReasonBadDomain, checker: "syntax"},
		{addr: "j\u00f6rg@example.com", verdict: Invalid, reason: ReasonNonASCIILocal, checker: "syntax"},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			before := f.calls.Load()
			r, err := c.Verify(context.Background(), tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tc.verdict || r.Reason != tc.reason || r.Checker != tc.checker || r.Flags != tc.flags || r.Suggestion != tc.suggestion {
				t.Fatalf("Verify(%q) = %+v;\nwant %v/%s by %s, flags %v, suggestion %q", tc.addr, r, tc.verdict, tc.reason, tc.checker, tc.flags, tc.suggestion)
			}
			if got := f.calls.Load() - before; got != tc.lookups {
				t.Errorf("%d MX lookups; want %d", got, tc.lookups)
			}
		})
	}
}

func TestChainStopsAtInvalid(t *testing.T) {
	var after atomic.Int32
	c := NewChain(
		CheckerFunc(func(context.Context, Address) (Result, error) {
			return Result{Verdict: Invalid, Reason: "first", Checker: "a"}, nil
		}),
		CheckerFunc(func(context.Context, Address) (Result, error) {
			after.Add(1)
			return Result{}, nil
		}),
	)
	r, err := c.Verify(context.Background(), "u@example.com")
	if err != nil || r.Reason != "first" || after.Load() != 0 {
		t.Fatalf("Verify = %+v, %v, later checker ran %d times", r, err, after.Load())
	}
}

func TestChainErrors(t *testing.T) {
	boom := errors.New("boom")
	c := NewChain(CheckerFunc(func(context.Context, Address) (Result, error) { return Result{}, boom }))
	cases := []struct {
		name string
		ctx  func() context.Context
		want error
	}{
		{"checker error is returned", context.Background, boom},
		{"done ctx is returned before any work", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := c.Verify(tc.ctx(), "u@example.com"); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v; want %v", err, tc.want)
			}
		})
	}
}

func TestChainSyntaxOptions(t *testing.T) {
	c := &Chain{Syntax: Syntax{AllowSingleLabel: true, AllowLocalhost: true, AllowAddressLiteral: true}}
	for _, addr := range []string{"u@intranet", "u@localhost", "u@[192.0.2.1]", "u@[IPv6:2001:db8::1]"} {
		t.Run(addr, func(t *testing.T) {
			if r, err := c.Verify(context.Background(), addr); err != nil || r.Verdict != Valid {
				t.Fatalf("Verify = %+v, %v; want valid", r, err)
			}
		})
	}
	for _, addr := range []string{"u@[192.0.2.1", "u@[IPv6:192.0.2.1]", "u@[2001:db8::1]", "u@[300.0.0.1]", "u@[IPv6:fe80::1%eth0]"} {
		t.Run(addr, func(t *testing.T) {
			if r, _ := c.Verify(context.Background(), addr); r.Verdict != Invalid || r.Reason != ReasonSyntax {
				t.Fatalf("Verify = %+v; want invalid syntax", r)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	cases := []struct {
		name   string
		p      Policy
		v      Verdict
		action Action
	}{
		{"default valid", Policy{}, Valid, ActionSend},
		{"default unknown", Policy{}, Unknown, ActionFlag},
		{"default risky", Policy{}, Risky, ActionFlag},
		{"default invalid", Policy{}, Invalid, ActionBlock},
		{"out of range is invalid", Policy{}, Verdict(9), ActionBlock},
		{"block risky", Policy{Risky: ActionBlock}, Risky, ActionBlock},
		{"block risky leaves unknown", Policy{Risky: ActionBlock}, Unknown, ActionFlag},
		{"send unknown", Policy{Unknown: ActionSend}, Unknown, ActionSend},
		{"flag valid", Policy{Valid: ActionFlag}, Valid, ActionFlag},
		{"send invalid", Policy{Invalid: ActionSend}, Invalid, ActionSend},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Action(tc.v); got != tc.action {
				t.Fatalf("Action(%v) = %v; want %v", tc.v, got, tc.action)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	cases := []struct{ got, want string }{
		{Valid.String(), "valid"},
		{Unknown.String(), "unknown"},
		{Risky.String(), "risky"},
		{Invalid.String(), "invalid"},
		{Verdict(7).String(), "verdict(7)"},
		{ActionDefault.String(), "default"},
		{ActionSend.String(), "send"},
		{ActionFlag.String(), "flag"},
		{ActionBlock.String(), "block"},
		{Action(9).String(), "action(9)"},
		{Flags(0).String(), ""},
		{(FlagRole | FlagFree).String(), "role|free"},
		{(FlagDisposable | FlagTypo | FlagImplicitMX | FlagCatchAll).String(), "disposable|typo|implicit_mx|catch_all"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %q; want %q", tc.got, tc.want)
			}
		})
	}
}
