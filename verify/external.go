package verify

import (
	"context"
	"time"
)

// Status is a third-party verifier's verdict on one address, in the
// vocabulary that services such as ZeroBounce, NeverBounce and Kickbox
// share. An adapter maps its service's answer onto these.
type Status string

// The statuses [External] understands. Any other is treated as
// [StatusUnknown].
const (
	StatusValid      Status = "valid"       // the mailbox exists
	StatusInvalid    Status = "invalid"     // the mailbox or domain does not exist
	StatusCatchAll   Status = "catch_all"   // the domain accepts every address; the mailbox is unproven
	StatusUnknown    Status = "unknown"     // the service could not tell
	StatusSpamtrap   Status = "spamtrap"    // a spam trap: mailing it harms reputation
	StatusAbuse      Status = "abuse"       // a known complainer
	StatusDoNotMail  Status = "do_not_mail" // the service advises against mailing it
	StatusDisposable Status = "disposable"  // a throwaway mailbox
	StatusRisky      Status = "risky"       // deliverable, with low confidence
)

// ExternalResult is what an [ExternalVerifier] says about one address.
type ExternalResult struct {
	Status Status
	Detail string // the service's own words, e.g. "mailbox_not_found"
	Flags  Flags  // attributes the service reported, e.g. FlagRole
}

// ExternalVerifier asks a third-party service about one address. It should
// honour ctx. An error means the service could not answer (outage, quota,
// bad credentials); [External] turns it into an [Unknown] result.
type ExternalVerifier interface {
	VerifyAddress(ctx context.Context, addr string) (ExternalResult, error)
}

// ExternalFunc adapts a function to an [ExternalVerifier].
type ExternalFunc func(ctx context.Context, addr string) (ExternalResult, error)

// VerifyAddress calls f(ctx, addr).
func (f ExternalFunc) VerifyAddress(ctx context.Context, addr string) (ExternalResult, error) {
	return f(ctx, addr)
}

// ExternalOptions configures [NewExternal]. Every zero value is a
// documented default.
type ExternalOptions struct {
	// Name is reported as [Result.Checker]. "": "external".
	Name string
	// Verdicts overrides the verdict for a status. The defaults: valid →
	// Valid; catch_all, disposable, risky → Risky; unknown → Unknown;
	// invalid, spamtrap, abuse, do_not_mail → Invalid.
	Verdicts map[Status]Verdict
	// TTL is how long an answer is cached. 0: 24 hours. Unknown answers
	// and errors are never cached: they are worth asking again.
	TTL time.Duration
	// Timeout bounds one call to the service. 0: 10 seconds.
	Timeout time.Duration
	// MaxEntries bounds the cache. 0: 10,000 addresses.
	MaxEntries int
	// Now is the clock for cache expiry. nil: time.Now.
	Now func() time.Time
}

// External turns a third-party verifier into a [Checker]: it maps the
// service's [Status] to a verdict and reason, caches answers per address so
// a paid call is made once per TTL, and collapses concurrent calls for one
// address into one. Put it last in a [Chain], so the cheap checks spare the
// service the addresses they can refuse. External is safe for concurrent
// use.
type External struct {
	v        ExternalVerifier
	name     string
	verdicts map[Status]Verdict
	memo     *memo
}

var _ Checker = (*External)(nil)

// NewExternal wraps v.
func NewExternal(v ExternalVerifier, optFns ...func(*ExternalOptions)) *External {
	var o ExternalOptions
	for _, fn := range optFns {
		fn(&o)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	ttl := orDefault(o.TTL, 24*time.Hour)
	verdicts := make(map[Status]Verdict, len(o.Verdicts))
	for s, v := range o.Verdicts {
		verdicts[s] = v
	}
	return &External{
		v:        v,
		name:     orDefault(o.Name, "external"),
		verdicts: verdicts,
		memo: newMemo(orDefault(o.MaxEntries, 10000), orDefault(o.Timeout, 10*time.Second), now,
			func(r Result) time.Duration {
				if r.Verdict == Unknown {
					return 0
				}
				return ttl
			}),
	}
}

// Check asks the service about a, or answers from the cache.
func (e *External) Check(ctx context.Context, a Address) (Result, error) {
	addr := a.String()
	return e.memo.do(ctx, addr, func(ctx context.Context) Result {
		er, err := e.v.VerifyAddress(ctx, addr)
		if err != nil {
			return Result{Verdict: Unknown, Reason: ReasonUnavailable, Checker: e.name,
				Detail: "verifier failed: " + err.Error()}
		}
		return e.result(er)
	})
}

func (e *External) result(er ExternalResult) Result {
	r := Result{Checker: e.name, Detail: er.Detail, Flags: er.Flags}
	switch er.Status {
	case StatusValid:
	case StatusInvalid:
		r.Verdict, r.Reason = Invalid, ReasonRejected
	case StatusCatchAll:
		r.Verdict, r.Reason = Risky, ReasonCatchAll
		r.Flags |= FlagCatchAll
	case StatusSpamtrap:
		r.Verdict, r.Reason = Invalid, ReasonSpamtrap
	case StatusAbuse:
		r.Verdict, r.Reason = Invalid, ReasonAbuse
	case StatusDoNotMail:
		r.Verdict, r.Reason = Invalid, ReasonDoNotMail
	case StatusDisposable:
		r.Verdict, r.Reason = Risky, ReasonDisposable
		r.Flags |= FlagDisposable
	case StatusRisky:
		r.Verdict, r.Reason = Risky, ReasonLowScore
	default:
		r.Verdict, r.Reason = Unknown, ReasonUnverified
	}
	if v, ok := e.verdicts[er.Status]; ok {
		r.Verdict = v
	}
	if r.Detail == "" {
		r.Detail = "verifier says " + string(er.Status)
	}
	return r
}
