package sesguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
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

// reputationSignal is what the notification policy reports to the breaker.
type reputationSignal uint8

const (
	signalBounce    reputationSignal = iota + 1 // a permanent bounce
	signalComplaint                             // a complaint
)

// The breaker's counts are kept in buckets of this width.
const breakerBucket = 10 * time.Second

// breaker is the reputation breaker: rolling counts of recipients sent,
// bounced and complained, kept in a store.Counter shared by every process
// that uses the same store (so the webhook and the senders agree), and a
// state machine judged from them. A nil *breaker lets everything through.
type breaker struct {
	o      BreakerOptions
	counts store.Counter
	now    func() time.Time
	log    *slog.Logger
	report func(BreakerStatus) // Hooks.Breaker

	mu            sync.Mutex
	state         BreakerState
	open          *BreakerOpenError // while open or half-open
	epoch         time.Time         // counts before it are ignored
	resetSeen     time.Time         // bucket of the last reset applied
	halfOpenAt    time.Time
	trialAdmitted int64
	trialDoneAt   time.Time
	pending       map[int64]int64 // bucket (Unix seconds) → recipients sent, not yet written
	lastRead      time.Time
	reading       bool
	sent          int64
	bounced       int64
	complained    int64
}

func newBreaker(o BreakerOptions, counts store.Counter, now func() time.Time, log *slog.Logger) *breaker {
	if o.Disabled {
		return nil
	}
	return &breaker{o: o.withDefaults(), counts: counts, now: now, log: log, pending: make(map[int64]int64)}
}

func (b *breaker) name(s string) string { return b.o.Name + ":" + s }

func bucketOf(t time.Time) time.Time { return t.Truncate(breakerBucket) }

// keepUntil is how long a bucket starting at t must be kept.
func (b *breaker) keepUntil(t time.Time) time.Time { return t.Add(b.o.Window + breakerBucket) }

// admit decides whether a send of n recipients may go now. A send let
// through as part of the half-open trial counts toward it.
func (b *breaker) admit(ctx context.Context, n int) error {
	if b == nil {
		return nil
	}
	now := b.now()
	b.mu.Lock()
	if !b.reading && now.Sub(b.lastRead) >= b.o.Refresh {
		b.mu.Unlock()
		b.refresh(ctx, now)
		b.mu.Lock()
	}
	var changes []BreakerChange
	if b.state == BreakerOpen && !now.Before(b.open.RetryAt) {
		changes = append(changes, b.toHalfOpen(now))
	}
	var err error
	switch b.state {
	case BreakerHalfOpen:
		if b.trialAdmitted < b.o.TrialVolume {
			b.trialAdmitted += int64(n)
			if b.trialAdmitted >= b.o.TrialVolume {
				b.trialDoneAt = now
				b.open.RetryAt = now.Add(b.o.TrialWait)
			}
			break
		}
		err = b.refusal(ctx)
	case BreakerOpen:
		err = b.refusal(ctx)
	}
	b.mu.Unlock()
	b.notify(changes)
	return err
}

// refusal is the error for a send the breaker stops, or nil for critical
// mail it lets through. b.mu must be held.
func (b *breaker) refusal(ctx context.Context) error {
	if b.o.AllowCritical && isCritical(ctx) {
		return nil
	}
	e := *b.open
	e.State = b.state
	return &e
}

// sent records n recipients that SES accepted.
func (b *breaker) sentN(n int) {
	if b == nil || n <= 0 {
		return
	}
	k := bucketOf(b.now()).Unix()
	b.mu.Lock()
	b.pending[k] += int64(n)
	b.mu.Unlock()
}

// observe records n recipients that bounced permanently or complained, and
// judges the rates again at once.
func (b *breaker) observe(ctx context.Context, s reputationSignal, n int) error {
	if b == nil || n <= 0 {
		return nil
	}
	name := b.name("bounced")
	if s == signalComplaint {
		name = b.name("complained")
	}
	now := b.now()
	at := bucketOf(now)
	if err := b.counts.AddCount(ctx, name, at, int64(n), b.keepUntil(at)); err != nil {
		return &StoreError{Op: "add count", Err: err}
	}
	b.refresh(ctx, now)
	return nil
}

// trip opens the breaker because SES refused to send for the account.
func (b *breaker) trip(code string, sesErr error) {
	if b == nil {
		return
	}
	now := b.now()
	b.mu.Lock()
	if b.state == BreakerOpen {
		b.mu.Unlock()
		return
	}
	change := b.toOpen(now, &BreakerOpenError{Cause: code, Err: sesErr}, code)
	b.mu.Unlock()
	b.notify([]BreakerChange{change})
}

// reset closes the breaker and makes every Client that shares the counts
// forget what was counted before now.
func (b *breaker) reset(ctx context.Context) error {
	if b == nil {
		return nil
	}
	now := b.now()
	at := bucketOf(now)
	if err := b.counts.AddCount(ctx, b.name("reset"), at, 1, b.keepUntil(at)); err != nil {
		return &StoreError{Op: "add count", Err: err}
	}
	b.mu.Lock()
	changes := b.applyReset(now, at)
	b.mu.Unlock()
	b.notify(changes)
	return nil
}

// applyReset forgets the counts up to the end of the bucket at, where a
// reset was recorded. b.mu must be held.
func (b *breaker) applyReset(now, at time.Time) []BreakerChange {
	if !at.After(b.resetSeen) {
		return nil
	}
	b.resetSeen = at
	if next := at.Add(breakerBucket); next.After(b.epoch) {
		b.epoch = next
	}
	b.sent, b.bounced, b.complained = 0, 0, 0
	if b.state == BreakerClosed {
		return nil
	}
	return []BreakerChange{b.toClosed(now, "reset")}
}

// refresh writes the pending sent counts, reads the counts back, and judges
// them. Only one refresh runs at a time; a caller that finds one running
// returns at once. A store that fails is logged and the breaker keeps its
// state: its bookkeeping never fails a send.
func (b *breaker) refresh(ctx context.Context, now time.Time) {
	b.mu.Lock()
	if b.reading {
		b.mu.Unlock()
		return
	}
	b.reading = true
	pending := b.pending
	b.pending = make(map[int64]int64)
	resetSeen, epoch, state, halfOpenAt := b.resetSeen, b.epoch, b.state, b.halfOpenAt
	b.mu.Unlock()

	r, err := b.read(ctx, now, pending, resetSeen, epoch, state, halfOpenAt)

	b.mu.Lock()
	b.reading = false
	var changes []BreakerChange
	if err != nil {
		for k, n := range r.unwritten {
			b.pending[k] += n
		}
		b.log.WarnContext(ctx, "sesguard: reputation breaker could not use its counts; keeping its state", "err", err)
	} else {
		b.lastRead = now
		changes = b.judge(now, r)
	}
	b.mu.Unlock()
	b.notify(changes)
	if len(changes) == 0 {
		b.reportStatus()
	}
}

// counted is what one refresh read.
type counted struct {
	unwritten map[int64]int64
	reset     time.Time // latest reset bucket newer than resetSeen; zero if none
	window    [3]int64  // sent, bounced, complained since the window's start
	trial     [3]int64  // the same since halfOpenAt, when half-open
	trialFrom time.Time // halfOpenAt of the trial read; zero when none was
}

func (b *breaker) read(ctx context.Context, now time.Time, pending map[int64]int64, resetSeen, epoch time.Time, state BreakerState, halfOpenAt time.Time) (counted, error) {
	var r counted
	for k, n := range pending {
		at := time.Unix(k, 0)
		if err := b.counts.AddCount(ctx, b.name("sent"), at, n, b.keepUntil(at)); err != nil {
			r.unwritten = pending
			return r, err
		}
		delete(pending, k)
	}
	end := bucketOf(now).Add(breakerBucket)
	from := bucketOf(now.Add(-b.o.Window))
	searchFrom := from
	if next := resetSeen.Add(breakerBucket); next.After(searchFrom) {
		searchFrom = next
	}
	reset, err := b.latestReset(ctx, searchFrom, end)
	if err != nil {
		return r, err
	}
	r.reset = reset
	if next := reset.Add(breakerBucket); !reset.IsZero() && next.After(epoch) {
		epoch = next
	}
	if epoch.After(from) {
		from = epoch
	}
	if r.window, err = b.sums(ctx, from, end); err != nil {
		return r, err
	}
	if state == BreakerHalfOpen {
		r.trial, err = b.sums(ctx, bucketOf(halfOpenAt), end)
		r.trialFrom = halfOpenAt
	}
	return r, err
}

func (b *breaker) sums(ctx context.Context, from, to time.Time) ([3]int64, error) {
	var out [3]int64
	for i, s := range [3]string{"sent", "bounced", "complained"} {
		n, err := b.counts.SumCounts(ctx, b.name(s), from, to)
		if err != nil {
			return out, err
		}
		out[i] = n
	}
	return out, nil
}

// latestReset returns the start of the latest bucket in [from, to) that
// holds a reset, or zero when none does, with a binary search over the
// buckets so that a Client that starts, or has missed one, finds it.
func (b *breaker) latestReset(ctx context.Context, from, to time.Time) (time.Time, error) {
	has := func(at time.Time) (bool, error) {
		n, err := b.counts.SumCounts(ctx, b.name("reset"), at, to)
		return n > 0, err
	}
	if !from.Before(to) {
		return time.Time{}, nil
	}
	if ok, err := has(from); err != nil || !ok {
		return time.Time{}, err
	}
	lo, hi := int64(0), int64(to.Sub(from)/breakerBucket)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		ok, err := has(from.Add(time.Duration(mid) * breakerBucket))
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return from.Add(time.Duration(lo) * breakerBucket), nil
}

// judge applies what a refresh read and changes state as the rates say.
// b.mu must be held.
func (b *breaker) judge(now time.Time, r counted) []BreakerChange {
	var changes []BreakerChange
	if !r.reset.IsZero() {
		changes = append(changes, b.applyReset(now, r.reset)...)
	}
	b.sent, b.bounced, b.complained = r.window[0], r.window[1], r.window[2]
	switch b.state {
	case BreakerClosed:
		if r.window[0] >= b.o.MinVolume {
			if why := b.over(r.window, r.window[0]); why != nil {
				changes = append(changes, b.toOpen(now, why, why.Cause))
			}
		}
	case BreakerHalfOpen:
		if !r.trialFrom.Equal(b.halfOpenAt) {
			break // the trial began while the counts were read
		}
		if why := b.over(r.trial, max(r.trial[0], b.o.TrialVolume)); why != nil {
			changes = append(changes, b.toOpen(now, why, "trial failed: "+why.Cause))
		} else if b.trialAdmitted >= b.o.TrialVolume && !now.Before(b.trialDoneAt.Add(b.o.TrialWait)) {
			b.epoch = bucketOf(b.halfOpenAt)
			b.sent, b.bounced, b.complained = r.trial[0], r.trial[1], r.trial[2]
			changes = append(changes, b.toClosed(now, "trial passed"))
		}
	}
	return changes
}

// over returns why the counts c, judged over volume recipients, reach a
// threshold, or nil.
func (b *breaker) over(c [3]int64, volume int64) *BreakerOpenError {
	if volume <= 0 {
		return nil
	}
	if r := float64(c[1]) / float64(volume); r >= b.o.BounceRate {
		return &BreakerOpenError{Cause: CauseBounceRate, Rate: r, Threshold: b.o.BounceRate, Count: c[1], Volume: volume}
	}
	if r := float64(c[2]) / float64(volume); r >= b.o.ComplaintRate {
		return &BreakerOpenError{Cause: CauseComplaintRate, Rate: r, Threshold: b.o.ComplaintRate, Count: c[2], Volume: volume}
	}
	return nil
}

// The transitions. b.mu must be held.

func (b *breaker) toOpen(now time.Time, why *BreakerOpenError, reason string) BreakerChange {
	from := b.state
	why.State = BreakerOpen
	why.OpenedAt = now
	why.RetryAt = now.Add(b.o.CoolDown)
	b.state, b.open = BreakerOpen, why
	return BreakerChange{From: from, To: BreakerOpen, At: now, Why: why, Reason: reason}
}

func (b *breaker) toHalfOpen(now time.Time) BreakerChange {
	b.state = BreakerHalfOpen
	b.halfOpenAt = now
	b.trialAdmitted = 0
	b.open.RetryAt = now.Add(b.o.TrialWait)
	return BreakerChange{From: BreakerOpen, To: BreakerHalfOpen, At: now, Reason: "cool-down over"}
}

func (b *breaker) toClosed(now time.Time, reason string) BreakerChange {
	from := b.state
	b.state, b.open = BreakerClosed, nil
	return BreakerChange{From: from, To: BreakerClosed, At: now, Reason: reason}
}

// notify reports changes to the logger and the hook.
func (b *breaker) notify(changes []BreakerChange) {
	for _, c := range changes {
		if c.To == BreakerOpen {
			b.log.Warn("sesguard: reputation breaker opened", "from", c.From.String(), "reason", c.Reason, "err", c.Why.Error())
		} else {
			b.log.Info("sesguard: reputation breaker "+c.To.String(), "from", c.From.String(), "reason", c.Reason)
		}
		if b.o.OnStateChange != nil {
			b.o.OnStateChange(c)
		}
	}
	if len(changes) > 0 {
		b.reportStatus()
	}
}

// status returns a snapshot.
func (b *breaker) status() BreakerStatus {
	if b == nil {
		return BreakerStatus{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := BreakerStatus{State: b.state, Sent: b.sent, Bounced: b.bounced, Complained: b.complained,
		BounceThreshold: b.o.BounceRate, ComplaintThreshold: b.o.ComplaintRate, MinVolume: b.o.MinVolume}
	if b.open != nil {
		e := *b.open
		e.State = b.state
		s.Open = &e
	}
	s.Since = bucketOf(b.now().Add(-b.o.Window))
	if b.epoch.After(s.Since) {
		s.Since = b.epoch
	}
	return s
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
