package sesguard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrBreakerOpen: the reputation breaker stopped the send. The error is a
// *BreakerOpenError that says why.
var ErrBreakerOpen = errors.New("sesguard: reputation breaker open")

// BreakerState is the state of the reputation breaker.
type BreakerState int

// The breaker's states. Closed sends; Open refuses (but for critical mail,
// see [Critical]); HalfOpen lets a trial volume through after the cool-down
// and closes again if the trial's rates stay under the thresholds.
const (
	BreakerClosed BreakerState = iota
	BreakerOpen
	BreakerHalfOpen
)

// String returns "closed", "open" or "half-open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("BreakerState(%d)", int(s))
}

// What can open the breaker: a rate, or SES refusing to send for the
// account (the Cause is then the SES error code).
const (
	CauseBounceRate    = "bounce rate"
	CauseComplaintRate = "complaint rate"
)

// BreakerOpenError is a send refused by the reputation breaker.
// errors.Is(err, ErrBreakerOpen) is true for it.
type BreakerOpenError struct {
	State BreakerState // BreakerOpen, or BreakerHalfOpen once the trial volume is spent
	// Cause is CauseBounceRate, CauseComplaintRate, or the code of the SES
	// error that opened the breaker ("SendingPausedException",
	// "AccountSuspendedException").
	Cause     string
	Rate      float64 // the rate that reached its threshold, 0.05 for 5%
	Threshold float64 // the threshold it reached
	Count     int64   // bounces or complaints behind Rate
	Volume    int64   // recipients sent behind Rate
	OpenedAt  time.Time
	// RetryAt is when the breaker lets a trial through (State Open), or when
	// it judges the trial (State HalfOpen).
	RetryAt time.Time
	Err     error // the SES error that opened it, if any
}

// Error says which rate reached which threshold, or which SES error
// opened the breaker, and when it lets a trial through.
func (e *BreakerOpenError) Error() string {
	var why string
	if e.Err != nil {
		why = "SES refused to send: " + e.Err.Error()
	} else {
		why = fmt.Sprintf("%s %.2f%% (%d of %d recipients) reached the %.2f%% threshold",
			e.Cause, 100*e.Rate, e.Count, e.Volume, 100*e.Threshold)
	}
	when := "trial sends from "
	if e.State == BreakerHalfOpen {
		when = "trial volume sent; judged at "
	}
	return fmt.Sprintf("sesguard: reputation breaker %s since %s: %s; %s%s", e.State,
		e.OpenedAt.UTC().Format(time.RFC3339), why, when, e.RetryAt.UTC().Format(time.RFC3339))
}

// Is reports whether target is ErrBreakerOpen.
func (e *BreakerOpenError) Is(target error) bool { return target == ErrBreakerOpen }

// Unwrap returns the SES error that opened the breaker, or nil.
func (e *BreakerOpenError) Unwrap() error { return e.Err }

// BreakerChange is a change of the breaker's state, given to
// BreakerOptions.OnStateChange and logged.
type BreakerChange struct {
	From, To BreakerState
	At       time.Time
	// Why says what changed it: for a change to Open, the
	// *BreakerOpenError that sends now get; otherwise nil.
	Why *BreakerOpenError
	// Reason is a short text: "bounce rate", "cool-down over", "trial passed", "reset", ...
	Reason string
}

// BreakerOptions configure the reputation breaker. Every zero value is a
// documented default; the thresholds sit below the levels at which AWS
// reviews an account (5% bounces, 0.1% complaints).
type BreakerOptions struct {
	// Disabled turns the breaker off.
	Disabled bool

	// BounceRate opens the breaker when permanent bounces reach this share
	// of the recipients sent in the window. 0: 0.04 (4%).
	BounceRate float64
	// ComplaintRate opens it when complaints reach this share. 0: 0.0008
	// (0.08%).
	ComplaintRate float64
	// MinVolume is the fewest recipients sent in the window for the rates
	// to be judged. 0: 200.
	MinVolume int64
	// Window is how far back the rates look. 0: 24 hours.
	Window time.Duration

	// CoolDown is how long the breaker stays open before a trial. 0: 1 hour.
	CoolDown time.Duration
	// TrialVolume is how many recipients the half-open breaker lets
	// through; it closes when, TrialWait after the last of them, the
	// bounces and complaints since the trial began stay under the
	// thresholds (judged over at least TrialVolume recipients), and opens
	// again as soon as they do not. 0: 50.
	TrialVolume int64
	// TrialWait is how long after the trial volume was sent its bounces
	// and complaints are awaited. 0: 10 minutes.
	TrialWait time.Duration

	// Refresh is how often the Client writes the recipients it sent to the
	// counts and reads the counts back, on the send path. A process that
	// ends loses at most this much of its sent count, which only makes the
	// rates look higher. 0: 10 seconds.
	Refresh time.Duration
	// Name prefixes the counters in the store; Clients that send for
	// different accounts or regions through one store need different
	// names. "": "sesguard:breaker".
	Name string

	// AllowCritical lets sends whose context was marked with [Critical]
	// through an open breaker.
	AllowCritical bool

	// OnStateChange, if set, is called after each change of state, outside
	// the breaker's lock. It must not block for long.
	OnStateChange func(BreakerChange)
}

func (o BreakerOptions) withDefaults() BreakerOptions {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.BounceRate, 0.04)
	def(&o.ComplaintRate, 0.0008)
	defDur(&o.Window, 24*time.Hour)
	defDur(&o.CoolDown, time.Hour)
	defDur(&o.TrialWait, 10*time.Minute)
	defDur(&o.Refresh, 10*time.Second)
	if o.MinVolume <= 0 {
		o.MinVolume = 200
	}
	if o.TrialVolume <= 0 {
		o.TrialVolume = 50
	}
	if o.Name == "" {
		o.Name = "sesguard:breaker"
	}
	return o
}

type criticalKey struct{}

// Critical returns a copy of ctx that marks the sends made with it as
// critical mail — password resets, security alerts — which an open
// reputation breaker lets through when BreakerOptions.AllowCritical is set:
//
//	err := client.Send(sesguard.Critical(ctx), resetMail)
//
// The mark is a context value rather than an EmailTag so that it stays in
// the process: SES never sees it, template data cannot set it, and it works
// for raw and bulk sends alike. Critical mail still counts toward the rates,
// the send rate and the 24-hour quota.
func Critical(ctx context.Context) context.Context {
	return context.WithValue(ctx, criticalKey{}, true)
}

func isCritical(ctx context.Context) bool {
	v, _ := ctx.Value(criticalKey{}).(bool)
	return v
}

// BreakerStatus is a snapshot of the reputation breaker.
type BreakerStatus struct {
	State BreakerState
	// Open is why the breaker is open or half-open; nil when closed.
	Open *BreakerOpenError
	// Sent, Bounced and Complained are the counts of the window as last
	// read: recipients sent, permanent bounces and complaints.
	Sent, Bounced, Complained int64
	// Since is when the window begins: the later of now minus the window
	// and the last reset or close.
	Since time.Time
	// BounceThreshold, ComplaintThreshold and MinVolume are the breaker's
	// settings (BreakerOptions with their defaults), against which the
	// rates Bounced/Sent and Complained/Sent are judged.
	BounceThreshold, ComplaintThreshold float64
	MinVolume                           int64
}

// Breaker returns a snapshot of the reputation breaker, as last judged;
// the zero BreakerStatus (closed, no counts) when it is disabled.
func (c *Client) Breaker() BreakerStatus { return c.breaker.status() }

// ResetBreaker closes the reputation breaker and makes it forget the counts
// so far, for every Client that shares them through the store (each finds
// the reset at its next refresh, or when it starts). Call it once the cause
// is dealt with; the rates are judged afresh from the next 10-second bucket
// of the counts on.
func (c *Client) ResetBreaker(ctx context.Context) error { return c.breaker.reset(ctx) }

// observeReputation is how the notification policy feeds the breaker: it is
// called once per recipient that bounced permanently (bounceType Permanent,
// any subtype but OnAccountSuppressionList, which AWS does not count
// against the account) or complained (any feedback type but not-spam, and
// not complaintSubType OnAccountSuppressionList), with n the number of such
// recipients, after the notification was accepted as new. Its error is a
// *StoreError, to be handled like a failed store write.
func (c *Client) observeReputation(ctx context.Context, s reputationSignal, n int) error {
	return c.breaker.observe(ctx, s, n)
}
