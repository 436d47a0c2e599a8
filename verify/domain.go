package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"
)

// Resolver is the part of [*net.Resolver] that [Domain] uses. Tests and
// callers with their own DNS plumbing supply another.
//
// A lookup that finds no records of the type asked for, or no such name,
// must return a [*net.DNSError] with IsNotFound set, as net.Resolver does; a
// timeout one with IsTimeout set (or an error wrapping
// context.DeadlineExceeded); any other error is taken as a temporary failure.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// DomainOptions configures [NewDomain]. Every zero value is a documented
// default.
type DomainOptions struct {
	// Resolver answers the DNS queries. nil: net.DefaultResolver.
	Resolver Resolver
	// Timeout bounds one domain's lookups (MX, then A/AAAA); a lookup that
	// takes longer yields Unknown. 0: 5 seconds.
	Timeout time.Duration
	// TTL is how long a Valid result is cached. 0: 1 hour.
	TTL time.Duration
	// NegativeTTL is how long an Invalid result (NXDOMAIN, null MX) is
	// cached. 0: 10 minutes. Unknown results are never cached.
	NegativeTTL time.Duration
	// MaxEntries bounds the cache. 0: 10,000 domains.
	MaxEntries int
	// RequireMX refuses a domain that has A/AAAA records but no MX, instead
	// of accepting it as an implicit MX (RFC 5321 §5.1).
	RequireMX bool
	// Now is the clock for cache expiry. nil: time.Now.
	Now func() time.Time
}

// Domain checks that an address's domain can receive mail:
//
//   - MX records present: [Valid];
//   - a null MX (RFC 7505, "MX 0 ."): [Invalid], [ReasonNullMX];
//   - no MX but A or AAAA: [Valid], [ReasonImplicitMX] (RFC 5321 §5.1),
//     unless RequireMX;
//   - neither (NXDOMAIN, or a name with no such records): [Invalid],
//     [ReasonNoDomain];
//   - a timeout, SERVFAIL or other failure: [Unknown].
//
// Results are cached per domain (Valid for TTL, Invalid for NegativeTTL),
// and concurrent lookups of one domain are collapsed into one. Every call
// returns when its ctx ends. A Domain is safe for concurrent use.
type Domain struct {
	resolver  Resolver
	requireMX bool
	memo      *memo
}

var _ Checker = (*Domain)(nil)

// NewDomain returns a Domain checker.
func NewDomain(optFns ...func(*DomainOptions)) *Domain {
	var o DomainOptions
	for _, fn := range optFns {
		fn(&o)
	}
	var r Resolver = net.DefaultResolver
	if o.Resolver != nil {
		r = o.Resolver
	}
	ttl := orDefault(o.TTL, time.Hour)
	negTTL := orDefault(o.NegativeTTL, 10*time.Minute)
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Domain{
		resolver:  r,
		requireMX: o.RequireMX,
		memo: newMemo(orDefault(o.MaxEntries, 10000), orDefault(o.Timeout, 5*time.Second), now,
			func(r Result) time.Duration {
				switch r.Verdict {
				case Valid:
					return ttl
				case Invalid:
					return negTTL
				}
				return 0
			}),
	}
}

// Check looks up a.Domain. An address literal passes unchecked: it names a
// host, not a domain.
func (d *Domain) Check(ctx context.Context, a Address) (Result, error) {
	if a.Domain == "" || a.Domain[0] == '[' {
		return Result{}, nil
	}
	return d.memo.do(ctx, a.Domain, func(ctx context.Context) Result { return d.lookup(ctx, a.Domain) })
}

func (d *Domain) lookup(ctx context.Context, domain string) Result {
	mxs, err := d.resolver.LookupMX(ctx, domain)
	if err != nil && !isNotFound(err) && len(mxs) == 0 {
		return dnsUnknown(domain, "MX", err)
	}
	null := false
	for _, mx := range mxs {
		if mx == nil {
			continue
		}
		if mx.Host == "." || mx.Host == "" {
			null = true
			continue
		}
		return Result{Checker: "domain"}
	}
	if null {
		return Result{Verdict: Invalid, Reason: ReasonNullMX, Checker: "domain",
			Detail: domain + " publishes a null MX: it accepts no mail (RFC 7505)"}
	}
	ips, err := d.resolver.LookupNetIP(ctx, "ip", domain)
	if err != nil && !isNotFound(err) && len(ips) == 0 {
		return dnsUnknown(domain, "A/AAAA", err)
	}
	if len(ips) == 0 {
		return Result{Verdict: Invalid, Reason: ReasonNoDomain, Checker: "domain",
			Detail: domain + " has no MX, A or AAAA record"}
	}
	if d.requireMX {
		return Result{Verdict: Invalid, Reason: ReasonNoMX, Checker: "domain", Flags: FlagImplicitMX,
			Detail: domain + " has no MX record"}
	}
	return Result{Reason: ReasonImplicitMX, Checker: "domain", Flags: FlagImplicitMX,
		Detail: domain + " has no MX record; mail goes to its A/AAAA host (RFC 5321 §5.1)"}
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func dnsUnknown(domain, qtype string, err error) Result {
	var de *net.DNSError
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &de) && de.IsTimeout) {
		return Result{Verdict: Unknown, Reason: ReasonDNSTimeout, Checker: "domain",
			Detail: qtype + " lookup of " + domain + " timed out"}
	}
	return Result{Verdict: Unknown, Reason: ReasonDNSError, Checker: "domain",
		Detail: qtype + " lookup of " + domain + " failed: " + err.Error()}
}
