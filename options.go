package sesguard

import (
	"context"
	"log/slog"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Options configure a Client. The zero value of every field is a documented
// default, so New(api) alone gives a working guard.
type Options struct {
	// Store keeps the suppression list. nil: a new in-memory store
	// (store/memstore), which lives and dies with the process.
	Store store.Store

	// Checks run, in order, on every recipient before the store is asked;
	// the first that vetoes a recipient removes it. nil: none.
	Checks []Check

	// AllOrNothing refuses the whole message when any recipient is refused.
	// false (the default): refused recipients are removed and the message
	// goes to the rest.
	AllOrNothing bool

	// FailOpen sends without the verdict of a store or check that fails,
	// logging the failure at level Warn. false (the default): such a send
	// fails with a *StoreError or *CheckError and SES is not called.
	FailOpen bool

	// KeepLocalCase keeps the case of an address's local part when
	// canonicalising. false (the default): the local part is lower-cased.
	// Changing it on a populated store orphans entries stored in the other
	// form.
	KeepLocalCase bool

	// OnSkip, if set, is called once per send (or bulk send) that skipped
	// recipients, after the decision and before SES is called, with the
	// skipped recipients. It must not block for long.
	OnSkip func(ctx context.Context, skipped []Skipped)

	// Policy decides what SES notifications applied with Client.Apply or
	// the SNS handler do to the suppression list. The zero value is the
	// default policy; see Policy.
	Policy Policy

	// Unsubscribe adds one-click unsubscribe fields (List-Unsubscribe,
	// List-Unsubscribe-Post) to mail sent for a list; see
	// UnsubscribeOptions. The zero value adds none.
	Unsubscribe UnsubscribeOptions

	// PurgeEvery is how often the Client purges what has expired from the
	// store (when it implements store.Purger: suppressions, applied marks,
	// transient-bounce records, old counts) and from its in-process
	// bookkeeping, logging each purge at level Debug and a failed one at
	// Warn. The Client keeps no goroutine for it between purges: the send
	// or applied notification that finds PurgeEvery passed since the last
	// purge, or since New, by the Client's clock, starts one in the
	// background, and Close waits for one under way. Every process that
	// shares a store may purge it; purges are idempotent. 0: hourly.
	// Negative: never; call Client.Purge yourself.
	PurgeEvery time.Duration

	// Logger receives the Client's logs. nil: logs are discarded.
	Logger *slog.Logger

	// Now is the Client's clock, used to judge expiry and to stamp records.
	// nil: time.Now.
	Now func() time.Time

	// Pace, quota and reputation: see [Limiter], [QuotaExceededError] and
	// [BreakerOptions]. Without SendRate, AccountQuota or Limiter, sends are
	// not paced.

	// Limiter paces sends, one token per recipient, transactional mail
	// first (see [Priority]). nil: a [*RateLimiter] at SendRate (or the
	// account's rate), when either is set. A *rate.Limiter, or a type that
	// embeds one, is adapted with AdaptRate on the Client's clock (Now and
	// Sleep).
	Limiter Limiter

	// SendRate is the most recipients per second the Client sends to. With
	// AccountQuota it caps the account's rate, and applies alone until the
	// account is read. 0: no limit of its own.
	SendRate float64

	// DailyQuota is the most recipients per rolling 24 hours; a send that
	// would pass it fails fast with a *QuotaExceededError. With
	// AccountQuota it caps the account's Max24HourSend (to keep part of it
	// for other senders). 0: no limit of its own.
	DailyQuota int64

	// AccountQuota makes the Client read its rate and 24-hour quota from
	// SES with GetAccount (SendQuota: MaxSendRate, Max24HourSend, where -1
	// is unlimited, and SentLast24Hours), at New and every AccountRefresh
	// in the background, never per send; Close stops it. New fails when
	// the first read fails (waiting for it at most 30 seconds), unless
	// ContinueWithoutAccount is set. The rate is applied to the Limiter
	// when it is a [RateSetter]. [Client.Quota] reports what was read.
	AccountQuota bool

	// AccountRefresh is how often AccountQuota reads the account. 0: one
	// minute.
	AccountRefresh time.Duration

	// SafetyFactor scales the account's MaxSendRate. 0: 1, the full rate:
	// the limiter's burst of half a second (see [BurstFor]) already absorbs
	// requests that reach SES later than they were paced, so that the full
	// rate goes unthrottled (BENCHMARKS.md). Lower it to leave part of the
	// rate to senders that do not share the Client's Limiter.
	SafetyFactor float64

	// ContinueWithoutAccount lets New succeed when AccountQuota cannot read
	// the account (GetAccount denied — the IAM policy lacks ses:GetAccount —
	// or failing): the failure is logged at level Error, and sends go at
	// SendRate and DailyQuota alone (unpaced without them) until a
	// background refresh succeeds; [Client.Quota] reports the error. false
	// (the default): New returns the error.
	ContinueWithoutAccount bool

	// DailyReserve is the share of the 24-hour quota kept for
	// transactional mail: a bulk send (see [Priority]) that would eat into
	// it fails with a *QuotaExceededError, so a campaign cannot spend what
	// password resets need. 0: 0.1 (10%); negative: none. It must be below
	// 1.
	DailyReserve float64

	// ThrottleRetries is how many times a send that SES throttled
	// (TooManyRequestsException) is retried, within its context. 0: 8;
	// negative: none.
	ThrottleRetries int

	// ThrottleBackoff is the first wait before retrying a throttled send;
	// it doubles with each retry up to 5 seconds, jittered. 0: 100ms.
	ThrottleBackoff time.Duration

	// Breaker configures the reputation breaker, on by default.
	Breaker BreakerOptions

	// Sleep waits for d, or until ctx is done and then returns ctx.Err().
	// The Client waits with it for the limiter, between throttle retries
	// and between account refreshes, so that a test that sets Now and Sleep
	// together runs on its own clock. nil: a timer on the wall clock.
	Sleep func(ctx context.Context, d time.Duration) error

	// Hooks are called as the Client works, for metrics and traces (see
	// package otelsesguard). The zero value calls nothing.
	Hooks Hooks
}
