package verify

import "context"

// Checker judges one address that has already passed [Syntax].
//
// A Checker that has nothing to object to returns a zero [Result] (Valid).
// One that cannot decide — a DNS timeout, a verifier outage — returns an
// [Unknown] result, not an error: the [Policy] decides what to do about
// uncertainty. A non-nil error means the caller's ctx ended (it wraps
// ctx.Err()); a Checker must return promptly when ctx is done.
//
// Checkers must be safe for concurrent use by multiple goroutines.
type Checker interface {
	Check(ctx context.Context, a Address) (Result, error)
}

// CheckerFunc adapts a function to a [Checker].
type CheckerFunc func(ctx context.Context, a Address) (Result, error)

// Check calls f(ctx, a).
func (f CheckerFunc) Check(ctx context.Context, a Address) (Result, error) { return f(ctx, a) }

// Verifier judges a raw address string; [*Chain] is the usual one. The
// sesguard Client's pre-send check adapter accepts any Verifier.
type Verifier interface {
	Verify(ctx context.Context, addr string) (Result, error)
}

// Chain checks the syntax of an address, then runs its checkers in order and
// keeps the most severe result. It stops early at the first [Invalid]
// result, and at a result with [ReasonAllowed] (the user's allow list). The
// result's Flags are the union of every checker's flags, and its Suggestion
// the first one offered, so a typo's suggestion survives a more severe
// verdict from a later checker.
//
// Put cheap, offline checkers first and network ones (DNS, external
// verifiers) last, so that an address refused by a list never costs a
// lookup:
//
//	c := verify.NewChain(lists, verify.Typos{}, verify.NewDisposable(), verify.Roles{}, verify.NewDomain())
//
// A Chain is safe for concurrent use as long as its fields are not changed
// after first use.
type Chain struct {
	Syntax   Syntax    // the syntax rules; the zero value is strict
	Checkers []Checker // run in order after syntax
}

var (
	_ Verifier = (*Chain)(nil)
	_ Checker  = (*Chain)(nil)
)

// NewChain returns a Chain with strict syntax and the given checkers.
func NewChain(checkers ...Checker) *Chain { return &Chain{Checkers: checkers} }

// Verify checks addr's syntax, then runs the checkers. The error is non-nil
// only when ctx ended.
func (c *Chain) Verify(ctx context.Context, addr string) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	a, reason, detail := c.Syntax.parse(addr)
	if reason != "" {
		return Result{Verdict: Invalid, Reason: reason, Detail: detail, Checker: "syntax"}, nil
	}
	return c.Check(ctx, a)
}

// Check runs the checkers on an address that has passed syntax.
func (c *Chain) Check(ctx context.Context, a Address) (Result, error) {
	var (
		best       Result
		flags      Flags
		suggestion string
	)
	for _, ch := range c.Checkers {
		r, err := ch.Check(ctx, a)
		if err != nil {
			return Result{}, err
		}
		flags |= r.Flags
		if suggestion == "" {
			suggestion = r.Suggestion
		}
		if r.Reason == ReasonAllowed {
			best = r
			break
		}
		if r.Verdict > best.Verdict || (r.Verdict == best.Verdict && best.Reason == "" && r.Reason != "") {
			best = r
		}
		if best.Verdict == Invalid {
			break
		}
	}
	best.Flags = flags
	if best.Suggestion == "" {
		best.Suggestion = suggestion
	}
	return best, nil
}
