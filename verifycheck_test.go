package sesguard_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/verify"
)

// zoneResolver is a verify.Resolver answering from a map of MX hosts; a
// domain absent from it is NXDOMAIN, and "slow.example" times out.
type zoneResolver struct {
	mx      map[string]string // domain → MX host; "." is a null MX
	lookups atomic.Int32
}

func (z *zoneResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	z.lookups.Add(1)
	if name == "slow.example" {
		return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
	}
	if h, ok := z.mx[name]; ok {
		return []*net.MX{{Host: h, Pref: 10}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (z *zoneResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func newZone() *zoneResolver {
	return &zoneResolver{mx: map[string]string{
		"example.com":    "mx.example.com.",
		"gmail.com":      "gmail-smtp-in.l.google.com.",
		"gmial.com":      "mx.gmial.com.",
		"mailinator.com": "mx.mailinator.com.",
		"null.example":   ".",
	}}
}

func newVerifyChain(z *zoneResolver) *verify.Chain {
	return verify.NewChain(verify.Typos{}, verify.Disposable{}, verify.Roles{},
		verify.NewDomain(func(o *verify.DomainOptions) { o.Resolver = z }))
}

type flagged struct {
	addr string
	r    verify.Result
}

// TestVerifyCheck sends through the real Client and SES client to the
// emulator, with the verify chain as the Client's pre-send check.
func TestVerifyCheck(t *testing.T) {
	cases := []struct {
		name     string
		to       string
		policy   verify.Policy
		sent     bool
		detail   string // substring of the skip detail when not sent
		flag     verify.Reason
		remember bool
	}{
		{name: "valid is sent", to: "jane@example.com", sent: true},
		{name: "null MX is blocked and remembered", to: "x@null.example", detail: "null_mx: null.example publishes a null MX", remember: true},
		{name: "NXDOMAIN is blocked and remembered", to: "x@nowhere.example", detail: "no_domain: nowhere.example has no MX", remember: true},
		{name: "non-ASCII local part is blocked", to: "j\u00f6rg@example.com", detail: "non_ascii_local: local part is not 7-bit ASCII", remember: true},
		{name: "single-label domain is blocked", to: "x@intranet", detail: "single_label:", remember: true},
		{name: "disposable is sent and flagged", to: "x@mailinator.com", sent: true, flag: verify.ReasonDisposable},
		{name: "role account is sent and flagged", to: "postmaster@example.com", sent: true, flag: verify.ReasonRole},
		{name: "DNS timeout is sent and flagged", to: "x@slow.example", sent: true, flag: verify.ReasonDNSTimeout},
		{name: "typo is sent and flagged", to: "bob@gmial.com", sent: true, flag: verify.ReasonTypo},
		{name: "policy can block risky, not remembered", to: "bob@gmial.com", policy: verify.Policy{Risky: verify.ActionBlock},
			detail: "typo: gmial.com looks like a typo of gmail.com; did you mean bob@gmail.com?"},
		{name: "policy can block unknown, not remembered", to: "x@slow.example", policy: verify.Policy{Unknown: verify.ActionBlock},
			detail: "dns_timeout: MX lookup of slow.example timed out"},
		{name: "policy can send invalid", to: "x@null.example", policy: verify.Policy{Invalid: verify.ActionSend}, sent: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			ses, api := newSES(t, onSESClock(clk))
			var flags []flagged
			check := sesguard.VerifyCheck(newVerifyChain(newZone()), func(o *sesguard.VerifyOptions) {
				o.Policy = tc.policy
				o.RememberInvalid = 7 * 24 * time.Hour
				o.OnFlag = func(_ context.Context, addr string, r verify.Result) { flags = append(flags, flagged{addr, r}) }
			})
			c := newClient(t, api, func(o *sesguard.Options) {
				o.Checks = []sesguard.Check{check}
				o.Now = clk.Now
			})
			out, err := c.Send(ctx, simple("alice@example.com", tc.to))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			want := []string{"alice@example.com"}
			if tc.sent {
				want = append(want, tc.to)
			}
			if got := ses.Messages()[0].To; !slices.Equal(got, want) {
				t.Fatalf("SES received %v; want %v", got, want)
			}
			skipped := sesguard.SkippedRecipients(out.ResultMetadata)
			if !tc.sent {
				if len(skipped) != 1 || skipped[0].Reason != store.ReasonInvalid || !strings.Contains(skipped[0].Detail, tc.detail) {
					t.Fatalf("skipped %+v; want one INVALID with detail containing %q", skipped, tc.detail)
				}
			} else if len(skipped) != 0 {
				t.Fatalf("skipped %+v; want none", skipped)
			}
			switch {
			case tc.flag == "" && len(flags) != 0:
				t.Errorf("flagged %+v; want none", flags)
			case tc.flag != "" && (len(flags) != 1 || flags[0].addr != tc.to || flags[0].r.Reason != tc.flag):
				t.Errorf("flagged %+v; want %s flagged %s", flags, tc.to, tc.flag)
			}
			canon, _ := sesguard.Canonical(tc.to)
			s, remembered, err := sesguard.Suppressed(ctx, c, canon)
			if err != nil {
				t.Fatal(err)
			}
			if remembered != tc.remember {
				t.Fatalf("remembered = %v (%+v); want %v", remembered, s, tc.remember)
			}
			if remembered && (s.Reason != store.ReasonInvalid || !s.ExpiresAt.Equal(clk.Now().Add(7*24*time.Hour))) {
				t.Errorf("remembered %+v; want INVALID expiring in 7 days", s)
			}
		})
	}
}

func TestVerifyCheckRememberOffByDefault(t *testing.T) {
	_, api := newSES(t)
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Checks = []sesguard.Check{sesguard.VerifyCheck(newVerifyChain(newZone()))}
	})
	if _, err := c.Send(ctx, simple("alice@example.com", "x@null.example")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, ok, _ := sesguard.Suppressed(ctx, c, "x@null.example"); ok {
		t.Fatal("a veto was remembered without RememberInvalid")
	}
}

func TestVerifyCheckLogsFlagsWithoutHook(t *testing.T) {
	_, api := newSES(t)
	var logs bytes.Buffer
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Checks = []sesguard.Check{sesguard.VerifyCheck(newVerifyChain(newZone()), func(o *sesguard.VerifyOptions) {
			o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})}
	})
	if _, err := c.Send(ctx, simple("bob@gmial.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	for _, want := range []string{"level=INFO", "address=bob@gmial.com", "verdict=risky", "reason=typo", "suggestion=bob@gmail.com"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
}

func TestVerifyCheckErrorFailsClosed(t *testing.T) {
	ses, api := newSES(t)
	broken := verify.NewChain(verify.CheckerFunc(func(context.Context, verify.Address) (verify.Result, error) {
		return verify.Result{}, context.DeadlineExceeded
	}))
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Checks = []sesguard.Check{sesguard.VerifyCheck(broken)}
	})
	_, err := c.Send(ctx, simple("alice@example.com"))
	if !errors.Is(err, sesguard.ErrCheckFailed) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send error %v; want ErrCheckFailed wrapping the verifier's error", err)
	}
	if n := len(ses.Messages()); n != 0 {
		t.Errorf("SES received %d messages; want none", n)
	}
}

// TestVerifyCheckCachesDNSAcrossSends shows the domain cache at work through
// the Client: the second send to the same domain costs no lookup.
func TestVerifyCheckCachesDNSAcrossSends(t *testing.T) {
	_, api := newSES(t)
	z := newZone()
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Checks = []sesguard.Check{sesguard.VerifyCheck(newVerifyChain(z))}
	})
	for _, to := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if _, err := c.Send(ctx, simple(to)); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if n := z.lookups.Load(); n != 1 {
		t.Fatalf("%d MX lookups for three sends to example.com; want 1", n)
	}
}
