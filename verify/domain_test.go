package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeResolver answers from maps; a missing name is NXDOMAIN, as
// net.Resolver reports it. gate, when set, holds every MX lookup until it
// is closed, so a test can pile up concurrent callers; entered receives a
// value when a held lookup has started.
type fakeResolver struct {
	mx      map[string][]*net.MX
	ips     map[string][]netip.Addr
	errs    map[string]error // returned by LookupMX for the name
	gate    chan struct{}
	entered chan struct{}
	calls   atomic.Int32
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case f.entered <- struct{}{}:
		default:
		}
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, &net.DNSError{Err: ctx.Err().Error(), Name: name, IsTimeout: true}
		}
	}
	if err := f.errs[name]; err != nil {
		return nil, err
	}
	if mx, ok := f.mx[name]; ok {
		return mx, nil
	}
	return nil, notFound(name)
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := f.ips[host]; ok {
		return ips, nil
	}
	return nil, notFound(host)
}

func newFake() *fakeResolver {
	return &fakeResolver{
		mx: map[string][]*net.MX{
			"mx.example":       {{Host: "mail.mx.example.", Pref: 10}},
			"null.example":     {{Host: ".", Pref: 0}},
			"mixed.example":    {{Host: ".", Pref: 0}, {Host: "mail.mixed.example.", Pref: 10}},
			"nodata.example":   {},
			"implicit.example": nil,
		},
		ips: map[string][]netip.Addr{
			"implicit.example": {netip.MustParseAddr("192.0.2.10")},
			"nodata.example":   {netip.MustParseAddr("2001:db8::10")},
		},
		errs: map[string]error{
			"timeout.example":  &net.DNSError{Err: "i/o timeout", Name: "timeout.example", IsTimeout: true},
			"servfail.example": &net.DNSError{Err: "server misbehaving", Name: "servfail.example", IsTemporary: true},
			"deadline.example": context.DeadlineExceeded,
		},
	}
}

func TestDomainVerdicts(t *testing.T) {
	f := newFake()
	delete(f.mx, "implicit.example")
	cases := []struct {
		name, domain string
		requireMX    bool
		verdict      Verdict
		reason       Reason
		flags        Flags
	}{
		{name: "MX present", domain: "mx.example", verdict: Valid},
		{name: "null MX is refused (RFC 7505)", domain: "null.example", verdict: Invalid, reason: ReasonNullMX},
		{name: "null MX beside a real one is ignored", domain: "mixed.example", verdict: Valid},
		{name: "no MX but A is an implicit MX (RFC 5321 5.1)", domain: "implicit.example", verdict: Valid, reason: ReasonImplicitMX, flags: FlagImplicitMX},
		{name: "empty MX answer but AAAA", domain: "nodata.example", verdict: Valid, reason: ReasonImplicitMX, flags: FlagImplicitMX},
		{name: "RequireMX refuses an implicit MX", domain: "implicit.example", requireMX: true, verdict: Invalid, reason: ReasonNoMX, flags: FlagImplicitMX},
		{name: "NXDOMAIN", domain: "nx.example", verdict: Invalid, reason: ReasonNoDomain},
		{name: "timeout is unknown", domain: "timeout.example", verdict: Unknown, reason: ReasonDNSTimeout},
		{name: "deadline is unknown", domain: "deadline.example", verdict: Unknown, reason: ReasonDNSTimeout},
		{name: "SERVFAIL is unknown", domain: "servfail.example", verdict: Unknown, reason: ReasonDNSError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDomain(func(o *DomainOptions) { o.Resolver = f; o.RequireMX = tc.requireMX })
			r, err := d.Check(context.Background(), Address{Local: "u", Domain: tc.domain})
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tc.verdict || r.Reason != tc.reason || r.Flags != tc.flags || r.Checker != "domain" {
				t.Fatalf("Check(%s) = %+v; want %v/%q flags %v", tc.domain, r, tc.verdict, tc.reason, tc.flags)
			}
		})
	}
}

func TestDomainAddressLiteralSkipsDNS(t *testing.T) {
	f := newFake()
	d := NewDomain(func(o *DomainOptions) { o.Resolver = f })
	r, err := d.Check(context.Background(), Address{Local: "u", Domain: "[192.0.2.1]"})
	if err != nil || r.Verdict != Valid || f.calls.Load() != 0 {
		t.Fatalf("literal: %+v, %v, %d lookups; want valid with no lookup", r, err, f.calls.Load())
	}
}

// TestDomainRealResolver runs the default *net.Resolver code path against a
// DNS server on loopback, so the way net reports null MX, NODATA, NXDOMAIN,
// SERVFAIL and timeouts is what the checker sees.
func TestDomainRealResolver(t *testing.T) {
	res := startDNS(t, map[string]zoneEntry{
		"mx.test":       {mx: []dnsmessage.MXResource{{Pref: 10, MX: mustName("mail.mx.test.")}}},
		"null.test":     {mx: []dnsmessage.MXResource{{Pref: 0, MX: mustName(".")}}},
		"implicit.test": {ips: []netip.Addr{netip.MustParseAddr("192.0.2.7")}},
		"empty.test":    {},
		"servfail.test": {rcode: dnsmessage.RCodeServerFailure},
		"slow.test":     {drop: true},
	})
	cases := []struct {
		domain  string
		verdict Verdict
		reason  Reason
	}{
		{"mx.test", Valid, ""},
		{"null.test", Invalid, ReasonNullMX},
		{"implicit.test", Valid, ReasonImplicitMX},
		{"empty.test", Invalid, ReasonNoDomain},
		{"nxdomain.test", Invalid, ReasonNoDomain},
		{"servfail.test", Unknown, ReasonDNSError},
		{"slow.test", Unknown, ReasonDNSTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.domain, func(t *testing.T) {
			d := NewDomain(func(o *DomainOptions) { o.Resolver = res; o.Timeout = 300 * time.Millisecond })
			r, err := d.Check(context.Background(), Address{Local: "u", Domain: tc.domain})
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tc.verdict || r.Reason != tc.reason {
				t.Fatalf("Check(%s) = %v/%s (%s); want %v/%s", tc.domain, r.Verdict, r.Reason, r.Detail, tc.verdict, tc.reason)
			}
		})
	}
}

// clock is an injected clock for cache-expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestDomainCache(t *testing.T) {
	cases := []struct {
		name    string
		domain  string
		wait    time.Duration // clock advance before the second check
		lookups int32         // MX lookups after both checks
	}{
		{name: "valid cached within TTL", domain: "mx.example", wait: 59 * time.Minute, lookups: 1},
		{name: "valid expires after TTL", domain: "mx.example", wait: time.Hour, lookups: 2},
		{name: "invalid cached within negative TTL", domain: "nx.example", wait: 9 * time.Minute, lookups: 1},
		{name: "invalid expires after negative TTL", domain: "nx.example", wait: 10 * time.Minute, lookups: 2},
		{name: "unknown never cached", domain: "servfail.example", wait: 0, lookups: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			d := NewDomain(func(o *DomainOptions) { o.Resolver = f; o.Now = c.now })
			a := Address{Local: "u", Domain: tc.domain}
			first, _ := d.Check(context.Background(), a)
			c.add(tc.wait)
			second, _ := d.Check(context.Background(), a)
			if got := f.calls.Load(); got != tc.lookups {
				t.Errorf("%d MX lookups; want %d", got, tc.lookups)
			}
			if first != second {
				t.Errorf("cached result %+v differs from fresh %+v", second, first)
			}
		})
	}
}

func TestDomainCacheBounded(t *testing.T) {
	f := &fakeResolver{mx: map[string][]*net.MX{}}
	for _, d := range []string{"a.example", "b.example", "c.example", "d.example"} {
		f.mx[d] = []*net.MX{{Host: "mx." + d + ".", Pref: 1}}
	}
	d := NewDomain(func(o *DomainOptions) { o.Resolver = f; o.MaxEntries = 2 })
	for dom := range f.mx {
		if _, err := d.Check(context.Background(), Address{Local: "u", Domain: dom}); err != nil {
			t.Fatal(err)
		}
	}
	if n := d.memo.cache.Len(); n > 2 {
		t.Fatalf("cache holds %d entries; MaxEntries is 2", n)
	}
}

func TestDomainCollapsesConcurrentLookups(t *testing.T) {
	f := newFake()
	f.gate, f.entered = make(chan struct{}), make(chan struct{}, 1)
	d := NewDomain(func(o *DomainOptions) { o.Resolver = f })
	const n = 20
	var wg sync.WaitGroup
	results := make(chan Result, n)
	for range n {
		wg.Go(func() {
			r, err := d.Check(context.Background(), Address{Local: "u", Domain: "mx.example"})
			if err != nil {
				t.Error(err)
			}
			results <- r
		})
	}
	waitEntered(t, f)
	close(f.gate)
	wg.Wait()
	close(results)
	for r := range results {
		if r.Verdict != Valid {
			t.Errorf("result %+v; want valid", r)
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Fatalf("%d MX lookups for %d concurrent checks; want 1", got, n)
	}
}

func TestDomainHonoursCallerContext(t *testing.T) {
	f := newFake()
	f.gate, f.entered = make(chan struct{}), make(chan struct{}, 1) // the lookup hangs until the gate opens
	d := NewDomain(func(o *DomainOptions) { o.Resolver = f; o.Timeout = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.Check(ctx, Address{Local: "u", Domain: "mx.example"})
		done <- err
	}()
	waitEntered(t, f)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	close(f.gate)

	if _, err := d.Check(ctx, Address{Local: "u", Domain: "mx.example"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a done ctx: err = %v; want context.Canceled", err)
	}
}

// waitEntered waits, at most 10 seconds, until a lookup held by f's gate has
// started.
func waitEntered(t *testing.T, f *fakeResolver) {
	t.Helper()
	select {
	case <-f.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no lookup started within 10s")
	}
}
