package sesguard

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// ErrQuotaExceeded: the account's 24-hour sending quota has no room for the
// message, so it was not sent. The error is a *QuotaExceededError.
var ErrQuotaExceeded = errors.New("sesguard: 24-hour sending quota spent")

// QuotaExceededError reports a send refused for the 24-hour quota: either
// the Client's tracker found no room and SES was not called, or SES answered
// TooManyRequestsException and the account's counters (GetAccount) showed
// the quota spent. errors.Is(err, ErrQuotaExceeded) is true for it; in the
// second case Unwrap returns SES's error, so errors.As(err,
// new(*types.TooManyRequestsException)) works too.
type QuotaExceededError struct {
	Quota int64 // the most recipients per rolling 24 hours
	Used  int64 // recipients counted in the last 24 hours, as the Client knows them
	Need  int   // recipients of the refused send
	// Reserved is the part of Quota kept for transactional mail
	// (Options.DailyReserve), which the refused bulk send could not use;
	// 0 for a transactional send.
	Reserved int64
	// RetryAt is the earliest time the Client expects room for Need: when
	// enough of its own sends leave the window, or its next GetAccount
	// refresh, whichever comes first. Zero when it cannot tell.
	RetryAt time.Time
	Err     error // SES's error, when SES refused the send
}

// Error says how much of the quota is used and when room is expected.
func (e *QuotaExceededError) Error() string {
	s := fmt.Sprintf("sesguard: 24-hour sending quota spent: %d of %d recipients used, %d more needed", e.Used, e.Quota, e.Need)
	if e.Reserved > 0 {
		s += fmt.Sprintf(", %d kept for transactional mail", e.Reserved)
	}
	if !e.RetryAt.IsZero() {
		s += "; room expected at " + e.RetryAt.UTC().Format(time.RFC3339)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns SES's error, or nil when SES was not called.
func (e *QuotaExceededError) Unwrap() error { return e.Err }

// Is reports whether target is ErrQuotaExceeded.
func (e *QuotaExceededError) Is(target error) bool { return target == ErrQuotaExceeded }

// defaultDailyReserve is the share of the 24-hour quota kept for
// transactional mail by default (Options.DailyReserve).
const defaultDailyReserve = 0.1

// The tracker counts recipients in one-minute slots; a slot counts until
// the window has passed its end, so a recipient is counted for at most a
// minute longer than SES counts it.
const (
	quotaWindow = 24 * time.Hour
	quotaSlot   = time.Minute
	quotaSlots  = int(quotaWindow/quotaSlot) + 1
)

// dailyQuota tracks the recipients sent in the rolling 24-hour window and
// refuses a send that would pass the quota. What SES accepted is kept in
// one-minute slots; sends in flight are counted apart until SES answers.
// From the account (GetAccount), it learns SentLast24Hours: what that
// counts beyond this Client's own sends — other processes, the console,
// sends before the Client started — is kept as others until the next
// refresh, since SES does not say when those recipients leave the window.
// A nil *dailyQuota has no limit.
type dailyQuota struct {
	mu          sync.Mutex
	limit       int64   // -1: unlimited
	share       float64 // of limit kept for transactional mail
	slots       [quotaSlots]quotaSlotCount
	total       int64 // the sum of the slots that still count
	expired     int64 // the latest minute whose slot has left the window
	inflight    int64
	others      int64
	nextRefresh time.Time               // zero without account refreshes
	report      func(used, limit int64) // Hooks.Quota
}

type quotaSlotCount struct {
	minute int64 // minutes since the Unix epoch
	n      int64
}

func newDailyQuota(limit int64, share float64) *dailyQuota {
	return &dailyQuota{limit: limit, share: share}
}

// reserved is the part of the limit that bulk sends may not use. q.mu
// must be held.
func (q *dailyQuota) reserved() int64 {
	if q.limit <= 0 {
		return 0
	}
	return int64(math.Ceil(float64(q.limit) * q.share))
}

func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

// confirmed returns the recipients SES accepted that still count at now,
// dropping the slots that have left the window since the last call. q.mu
// must be held.
func (q *dailyQuota) confirmed(now time.Time) int64 {
	last := minuteOf(now) - int64(quotaSlots) // the latest minute out of the window
	if last <= q.expired {
		return q.total
	}
	from := max(q.expired+1, last-int64(quotaSlots)+1) // each slot once at most
	for m := from; m <= last; m++ {
		if s := &q.slots[m%int64(quotaSlots)]; s.minute == m {
			q.total -= s.n
			*s = quotaSlotCount{}
		}
	}
	q.expired = last
	return q.total
}

// reserve counts n recipients of priority p as in flight if the quota has
// room for them at clock(): all of it for transactional mail, all but the
// reserved part for bulk mail.
func (q *dailyQuota) reserve(clock func() time.Time, n int, p Priority) error {
	if q == nil || n <= 0 {
		return nil
	}
	now := clock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.limit < 0 {
		q.inflight += int64(n)
		return nil
	}
	limit, reserved := q.limit, int64(0)
	if p == PriorityBulk {
		reserved = q.reserved()
		limit -= reserved
	}
	if used := q.confirmed(now) + q.inflight + q.others; used+int64(n) > limit {
		return &QuotaExceededError{Quota: q.limit, Used: used, Need: n, Reserved: reserved, RetryAt: q.retryAt(now, used+int64(n)-limit)}
	}
	q.inflight += int64(n)
	return nil
}

// settle ends the flight of n reserved recipients, of which SES accepted
// sent at clock().
func (q *dailyQuota) settle(clock func() time.Time, n, sent int) {
	if q == nil || n <= 0 {
		return
	}
	now := clock()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.inflight -= int64(n)
	if sent <= 0 {
		return
	}
	m := minuteOf(now)
	q.confirmed(now)
	s := &q.slots[m%int64(quotaSlots)]
	if s.minute != m {
		*s = quotaSlotCount{minute: m}
	}
	s.n += int64(sent)
	q.total += int64(sent)
	q.reportUsage(now)
}

// spent reports whether a send of n recipients, already reserved, passes the
// quota: after a refresh from the account, that is how a
// TooManyRequestsException for the daily quota is told from one for the
// rate.
func (q *dailyQuota) spent(now time.Time, n int) *QuotaExceededError {
	if q == nil {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.limit < 0 {
		return nil
	}
	used := q.confirmed(now) + q.inflight + q.others
	if used <= q.limit {
		return nil
	}
	return &QuotaExceededError{Quota: q.limit, Used: used - int64(n), Need: n, RetryAt: q.retryAt(now, used-q.limit)}
}

// status returns the limit (-1 unlimited), the recipients counted at now,
// and the part of the limit kept for transactional mail.
func (q *dailyQuota) status(now time.Time) (limit, used, reserved int64) {
	if q == nil {
		return 0, 0, 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.limit, q.confirmed(now) + q.inflight + q.others, q.reserved()
}

// account takes what GetAccount reported at now: the quota (-1 unlimited),
// the recipients SES counted in the last 24 hours, and when the next
// refresh is due.
func (q *dailyQuota) account(now time.Time, limit, sentLast24h int64, next time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.limit = limit
	q.others = max(0, sentLast24h-q.confirmed(now))
	q.nextRefresh = next
	q.reportUsage(now)
}

// retryAt returns when the Client expects over recipients fewer to count:
// when enough of its own sends leave the window, if that comes before the
// next refresh; otherwise the next refresh, or zero when there is none.
// q.mu must be held.
func (q *dailyQuota) retryAt(now time.Time, over int64) time.Time {
	m := minuteOf(now)
	freed := int64(0)
	for age := int64(quotaSlots) - 1; age >= 0; age-- {
		s := q.slots[(m-age)%int64(quotaSlots)]
		if s.minute != m-age || s.n == 0 {
			continue
		}
		freed += s.n
		if freed >= over {
			at := time.Unix((s.minute+int64(quotaSlots))*60, 0)
			if q.nextRefresh.IsZero() || at.Before(q.nextRefresh) {
				return at
			}
			break
		}
	}
	return q.nextRefresh
}
