package sesguard

import (
	"context"
	"log/slog"
	"time"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/verify"
)

// VerifyOptions configure [VerifyCheck]. Every zero value is a documented
// default.
type VerifyOptions struct {
	// Policy maps each verify verdict to an action: send, flag (send and
	// report) or block (veto the recipient). Zero fields take
	// verify.DefaultPolicy's: valid sends, risky and unknown are flagged,
	// invalid is blocked.
	Policy verify.Policy

	// RememberInvalid, if positive, has the Client record a blocked address
	// whose verdict is verify.Invalid as a store.ReasonInvalid suppression
	// that expires after this long. Blocked risky or unknown addresses are
	// never remembered: their verdicts are judgements, not facts. 0: nothing
	// is remembered.
	RememberInvalid time.Duration

	// OnFlag, if set, is called for every recipient that the policy lets
	// through with a flag, with the verify result. It runs inside Send and
	// must not block for long. nil: each flag is logged instead.
	OnFlag func(ctx context.Context, addr string, r verify.Result)

	// Logger receives a record at level Info for each flagged recipient
	// when OnFlag is nil. nil: such records are discarded.
	Logger *slog.Logger
}

// VerifyCheck turns a verifier — usually a *verify.Chain — into a [Check]
// for Options.Checks:
//
//	chain := verify.NewChain(verify.Typos{}, verify.Disposable{}, verify.Roles{}, verify.NewDomain())
//	c, err := sesguard.New(api, func(o *sesguard.Options) {
//		o.Checks = []sesguard.Check{sesguard.VerifyCheck(chain, func(vo *sesguard.VerifyOptions) {
//			vo.RememberInvalid = 30 * 24 * time.Hour
//		})}
//	})
//
// A blocked recipient is vetoed as store.ReasonInvalid, with a detail that
// names the verify reason, explains it and offers any suggested correction
// ("typo: gmial.com looks like a typo of gmail.com; did you mean
// bob@gmail.com?"). When the verifier returns an error (the send's ctx
// ended), the Check returns it, and the Client fails the send unless
// Options.FailOpen is set.
func VerifyCheck(v verify.Verifier, optFns ...func(*VerifyOptions)) Check {
	var o VerifyOptions
	for _, fn := range optFns {
		fn(&o)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, addr string) (*Veto, error) {
		r, err := v.Verify(ctx, addr)
		if err != nil {
			return nil, err
		}
		switch o.Policy.Action(r.Verdict) {
		case verify.ActionBlock:
			veto := &Veto{Reason: store.ReasonInvalid, Detail: verifyDetail(r)}
			if r.Verdict == verify.Invalid {
				veto.Remember = o.RememberInvalid
			}
			return veto, nil
		case verify.ActionFlag:
			if o.OnFlag != nil {
				o.OnFlag(ctx, addr, r)
			} else {
				log.InfoContext(ctx, "sesguard: recipient flagged by verify",
					"address", addr, "verdict", r.Verdict.String(), "reason", string(r.Reason),
					"checker", r.Checker, "detail", r.Detail, "suggestion", r.Suggestion)
			}
		}
		return nil, nil
	}
}

// verifyDetail renders r for Veto.Detail.
func verifyDetail(r verify.Result) string {
	d := r.Verdict.String()
	if r.Reason != "" {
		d = string(r.Reason)
	}
	if r.Detail != "" {
		d += ": " + r.Detail
	}
	if r.Suggestion != "" {
		d += "; did you mean " + r.Suggestion + "?"
	}
	return d
}
