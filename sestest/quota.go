package sestest

import (
	"math"
	"time"
)

// bucket is SES's per-second sending limit modelled as a token bucket: it
// fills at rate tokens per second up to a burst of one second's worth
// (rate, but at least 1), and every recipient takes one token. It is never
// stricter than a golang.org/x/time/rate.Limiter of the same rate and burst
// that a client runs in front of it.
type bucket struct {
	rate   float64
	tokens float64
	last   time.Time
}

// slack is how much earlier than exact a send may come: a client limiter
// hands out waits as time.Duration, truncated to the nanosecond, and float
// rounding does the rest. A microsecond's worth of tokens absorbs both.
const slack = time.Microsecond

func (b *bucket) burst() float64 { return math.Max(b.rate, 1) }

func (b *bucket) reset(rate float64, now time.Time) {
	b.rate = rate
	b.tokens = b.burst()
	b.last = now
}

// advance refills the bucket up to now. A clock that goes backwards refills
// nothing.
func (b *bucket) advance(now time.Time) {
	if now.After(b.last) {
		b.tokens = math.Min(b.burst(), b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// take takes n tokens at now if the bucket holds them. A message with more
// recipients than the burst goes when the bucket is full and leaves it in
// debt, so that large messages are possible and the long-run rate still
// holds.
func (b *bucket) take(n int, now time.Time) bool {
	b.advance(now)
	need := math.Min(float64(n), b.burst())
	if b.tokens+b.rate*slack.Seconds() < need {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// window counts recipients over a rolling 24 hours: an entry sent at t
// counts until t+24h.
type window struct {
	entries []windowEntry
	head    int
	total   int64
}

type windowEntry struct {
	at time.Time
	n  int64
}

const day = 24 * time.Hour

func (w *window) prune(now time.Time) {
	cutoff := now.Add(-day)
	for w.head < len(w.entries) && !w.entries[w.head].at.After(cutoff) {
		w.total -= w.entries[w.head].n
		w.head++
	}
	if w.head > 1024 && w.head*2 > len(w.entries) {
		w.entries = append(w.entries[:0], w.entries[w.head:]...)
		w.head = 0
	}
}

func (w *window) sum(now time.Time) int64 {
	w.prune(now)
	return w.total
}

func (w *window) add(now time.Time, n int64) {
	if n == 0 {
		return
	}
	w.total += n
	if last := len(w.entries) - 1; last >= w.head && w.entries[last].at.Equal(now) {
		w.entries[last].n += n
		return
	}
	w.entries = append(w.entries, windowEntry{at: now, n: n})
}

// Quota is a snapshot of the account's sending counters.
type Quota struct {
	MaxSendRate     float64 // recipients per second in force
	Max24HourSend   float64 // recipients per rolling 24 hours in force; -1 unlimited
	SentLast24Hours float64 // recipients counted against Max24HourSend (simulator mail is not)
	Tokens          float64 // tokens in the rate bucket now; negative while in debt
	Recipients      int64   // recipients of every accepted message, simulator included
	Messages        int64   // messages accepted
	RateThrottles   int64   // requests refused with "Maximum sending rate exceeded."
	QuotaRejections int64   // requests refused with "Daily message quota exceeded."
}

// counters are the running totals behind [Quota].
type counters struct {
	recipients, messages, rateThrottles, quotaRejections int64
}

// Quota returns the account's sending counters at the server's clock.
func (s *Server) Quota() Quota {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.bucket.advance(now)
	return Quota{
		MaxSendRate:     s.account.rate(),
		Max24HourSend:   s.account.dailyQuota(),
		SentLast24Hours: float64(s.window.sum(now)),
		Tokens:          s.bucket.tokens,
		Recipients:      s.counters.recipients,
		Messages:        s.counters.messages,
		RateThrottles:   s.counters.rateThrottles,
		QuotaRejections: s.counters.quotaRejections,
	}
}

// admit applies the account's limits to a send of total recipients, of which
// counted count toward the daily quota, at now. It must be called with s.mu
// held. The daily quota is checked first so that a refused send takes no
// rate tokens.
func (s *Server) admit(total, counted int, now time.Time) *apiError {
	if err := s.account.sendError(); err != nil {
		return err
	}
	if q := s.account.dailyQuota(); q >= 0 && float64(s.window.sum(now)+int64(counted)) > q {
		s.counters.quotaRejections++
		return errDailyQuota
	}
	if !s.bucket.take(total, now) {
		s.counters.rateThrottles++
		return errMaxSendRate
	}
	s.window.add(now, int64(counted))
	s.counters.recipients += int64(total)
	return nil
}
