package sesguard

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// Hooks are functions the Client calls as it works, for metrics and traces;
// package otelsesguard (module
// github.com/sesguard/sesguard/instrumentation/otelsesguard) builds them on
// OpenTelemetry. Every field may be nil, and a nil hook costs the Client one
// comparison. Hooks run on the goroutine doing the work, so they must be
// safe for concurrent use, must not block, and must not call the Client.
//
// Give each Client its own Hooks when they report state (Quota, Breaker):
// the last report is the Client's state.
type Hooks struct {
	// Send is called when Send or SendBulkEmail begins, with op
	// "SendEmail" or "SendBulkEmail". The context it returns is used for
	// the rest of the send — the store, the limiter, SES — so that a span
	// it starts is their parent. done, which must not be nil, is called
	// once when the send ends.
	Send func(ctx context.Context, op string) (_ context.Context, done func(SendReport))

	// Apply is called when Client.Apply begins, with the notification. The
	// context it returns is used to apply it; done, which must not be nil,
	// is called once with the decisions made and Apply's error.
	Apply func(ctx context.Context, n *Notification) (_ context.Context, done func(ApplyReport))

	// Webhook is called when the SNS handler has answered a request, with
	// the HTTP status it answered.
	Webhook func(ctx context.Context, status int)

	// Store is called after each call the Client makes to its store, with
	// the method's name ("Lookup", "Put", "AddTransientBounce", ...), how
	// long it took and its error. The Client wraps its store once, in New,
	// keeping the optional abilities the store has and no others.
	Store func(ctx context.Context, op string, d time.Duration, err error)

	// LimiterWait is called after each wait for the limiter, with the
	// tokens (recipients) taken, how long the wait took on the Client's
	// clock, and its error. Sends are not paced without a limiter, and
	// then it is never called.
	LimiterWait func(ctx context.Context, n int, d time.Duration, err error)

	// Quota is called when the 24-hour count changes (a send accepted by
	// SES, a read of the account) with the recipients counted in the
	// rolling 24 hours and the quota; limit is -1 when unlimited. It is
	// called with the quota's lock held. Never called without a 24-hour
	// quota (Options.DailyQuota or Options.AccountQuota).
	Quota func(used, limit int64)

	// Breaker is called with a snapshot of the reputation breaker after it
	// judged its counts (every BreakerOptions.Refresh on the send path, and
	// after each bounce or complaint applied) and after each change of
	// state. Never called when the breaker is disabled.
	Breaker func(BreakerStatus)
}

// SendReport is what the Hooks.Send done func is given when a send ends.
type SendReport struct {
	// Op is "SendEmail" or "SendBulkEmail".
	Op string
	// Email or Bulk is the input as the caller passed it; the other is nil.
	Email *sesv2.SendEmailInput
	Bulk  *sesv2.SendBulkEmailInput

	// Recipients counts the recipients of the message (of every entry, for
	// SendBulkEmail), as written, duplicates included. Zero when the
	// recipients could not be read (ErrInvalidMessage).
	Recipients int
	// Skipped lists the refused recipients, each distinct address once,
	// with the reason: a stored suppression, a check's veto or an
	// unreadable address (Reason store.ReasonInvalid, Source "check" or
	// "canonical").
	Skipped []Skipped
	// Kept counts the recipients left to send to after screening; Sent,
	// those of them SES accepted. Kept - Sent went unsent because of Err
	// (the breaker, the quota, SES, AllOrNothing) or, for SendBulkEmail,
	// because SES refused their entry.
	Kept, Sent int

	// Err is what the send returned.
	Err error
}

// ApplyReport is what the Hooks.Apply done func is given when Apply ends.
type ApplyReport struct {
	Notification *Notification
	Decisions    []Decision // as Apply returned them
	Err          error      // as Apply returned it
}

// sendRun carries the report of one send to the Hooks.Send done func. It
// lives on the stack of Send; without the hook, done is nil and it does
// nothing.
type sendRun struct {
	report SendReport
	done   func(SendReport)
}

// start calls Hooks.Send, if set, for a send of email or bulk, and returns
// the context to send with.
func (r *sendRun) start(ctx context.Context, h Hooks, email *sesv2.SendEmailInput, bulk *sesv2.SendBulkEmailInput) context.Context {
	if h.Send == nil {
		return ctx
	}
	r.report = SendReport{Op: "SendEmail", Email: email, Bulk: bulk}
	if bulk != nil {
		r.report.Op = "SendBulkEmail"
	}
	ctx, r.done = h.Send(ctx, r.report.Op)
	return ctx
}

// screened records the recipients of the send and those refused.
func (r *sendRun) screened(recipients, kept int, skipped []Skipped) {
	r.report.Recipients, r.report.Kept, r.report.Skipped = recipients, kept, skipped
}

// sent records the recipients SES accepted.
func (r *sendRun) sent(n int) { r.report.Sent = n }

// end reports the send's end, with its error.
func (r *sendRun) end(err error) {
	if r.done != nil {
		r.report.Err = err
		r.done(r.report)
	}
}

// startApply calls Hooks.Apply, if set, and returns the context to apply n
// with and the func to call when Apply ends.
func (c *Client) startApply(ctx context.Context, n *Notification) (context.Context, func([]Decision, error)) {
	h := c.opts.Hooks.Apply
	if h == nil {
		return ctx, noApplyEnd
	}
	ctx, done := h(ctx, n)
	return ctx, func(ds []Decision, err error) { done(ApplyReport{Notification: n, Decisions: ds, Err: err}) }
}

func noApplyEnd([]Decision, error) {}

// answered calls Hooks.Webhook, if set.
func (c *Client) answered(ctx context.Context, status int) {
	if h := c.opts.Hooks.Webhook; h != nil {
		h(ctx, status)
	}
}

// waitPace takes n tokens from the limiter, and reports the wait to
// Hooks.LimiterWait.
func (c *Client) waitPace(ctx context.Context, n int) (pacedAt time.Time, err error) {
	h := c.opts.Hooks.LimiterWait
	if h == nil || c.pace == nil || n <= 0 {
		return c.pace.wait(ctx, n)
	}
	start := c.now()
	pacedAt, err = c.pace.wait(ctx, n)
	h(ctx, n, c.now().Sub(start), err)
	return pacedAt, err
}

// reportUsage calls Hooks.Quota, if set, with the recipients counted at
// now. q.mu must be held.
func (q *dailyQuota) reportUsage(now time.Time) {
	if q.report != nil {
		q.report(q.confirmed(now)+q.others, q.limit)
	}
}

// reportStatus calls Hooks.Breaker, if set, with a snapshot. b.mu must not
// be held.
func (b *breaker) reportStatus() {
	if b.report != nil {
		b.report(b.status())
	}
}
