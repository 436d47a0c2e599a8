package sesguard

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
)

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
	if err := b.counts.AddCount(ctx, b.count("reset", now, 1)); err != nil {
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
