package verify

import "strconv"

// Action is what a sender should do with an address, given its [Verdict].
type Action uint8

// The actions. The zero value, [ActionDefault], stands for "whatever
// [DefaultPolicy] says" inside a [Policy].
const (
	ActionDefault Action = iota // defer to DefaultPolicy
	ActionSend                  // send as usual
	ActionFlag                  // send, and report the result (hook or log)
	ActionBlock                 // do not send to this address
)

// String returns "default", "send", "flag" or "block".
func (a Action) String() string {
	switch a {
	case ActionDefault:
		return "default"
	case ActionSend:
		return "send"
	case ActionFlag:
		return "flag"
	case ActionBlock:
		return "block"
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// Policy maps each [Verdict] to an [Action]. A zero field means the
// corresponding field of [DefaultPolicy], so a caller changes only what it
// cares about:
//
//	p := verify.Policy{Risky: verify.ActionBlock} // block disposable, role, typo…
type Policy struct {
	Valid   Action
	Unknown Action
	Risky   Action
	Invalid Action
}

// DefaultPolicy sends valid addresses, blocks invalid ones, and sends but
// flags risky and unknown ones: a DNS outage or a role account is no reason
// to drop a password-reset mail, but it is worth knowing about.
var DefaultPolicy = Policy{
	Valid:   ActionSend,
	Unknown: ActionFlag,
	Risky:   ActionFlag,
	Invalid: ActionBlock,
}

// Action returns the action for v. A verdict outside the four known ones is
// treated as [Invalid].
func (p Policy) Action(v Verdict) Action {
	pick := func(a, def Action) Action {
		if a != ActionDefault {
			return a
		}
		return def
	}
	switch v {
	case Valid:
		return pick(p.Valid, DefaultPolicy.Valid)
	case Unknown:
		return pick(p.Unknown, DefaultPolicy.Unknown)
	case Risky:
		return pick(p.Risky, DefaultPolicy.Risky)
	}
	return pick(p.Invalid, DefaultPolicy.Invalid)
}
