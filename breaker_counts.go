package sesguard

import (
	"context"
	"time"

	"github.com/sesguard/sesguard/store"
)

// The breaker's counts live in a store.Counter shared by every process
// that uses the same store: the webhook adds the bounces and complaints,
// with the mark of the notification that brought them, and the senders add
// the recipients sent. Each Client reads the sums back every Refresh.

// count returns the count of n events of kind (sent, bounced, complained,
// reset) at now, in the bucket that holds now.
func (b *breaker) count(kind string, now time.Time, n int64) store.Count {
	at := bucketOf(now)
	return store.Count{Name: b.name(kind), Bucket: at, N: n, KeepUntil: b.keepUntil(at)}
}

// countsFor returns what a notification that brings signal adds to the
// counts, for the mark that applies it; nil when the breaker is off.
func (b *breaker) countsFor(s reputationSignal, now time.Time) []store.Count {
	if b == nil {
		return nil
	}
	kind := "bounced"
	if s == signalComplaint {
		kind = "complained"
	}
	return []store.Count{b.count(kind, now, 1)}
}

// observe records n recipients that bounced permanently or complained, and
// judges the rates again at once.
func (b *breaker) observe(ctx context.Context, s reputationSignal, n int) error {
	if b == nil || n <= 0 {
		return nil
	}
	now := b.now()
	for _, c := range b.countsFor(s, now) {
		c.N = int64(n)
		if err := b.counts.AddCount(ctx, c); err != nil {
			return &StoreError{Op: "add count", Err: err}
		}
	}
	b.refresh(ctx, now)
	return nil
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

	done := false
	defer func() {
		if !done { // the store panicked: let the next refresh run
			b.mu.Lock()
			b.reading = false
			b.mu.Unlock()
		}
	}()
	r, err := b.read(ctx, now, pending, resetSeen, epoch, state, halfOpenAt)
	done = true

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
		if err := b.counts.AddCount(ctx, b.count("sent", time.Unix(k, 0), n)); err != nil {
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
