package sesguard

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// Priority is the class of a send where transactional and bulk mail share
// the account's limits: the rate, at the [Limiter], and the 24-hour quota.
//
// The rule: a send is bulk when it is mail for a list — its context
// carries a list ([ForList]) or its SendEmailInput has
// ListManagementOptions (an SES contact list) — or when its context was
// marked with WithPriority(ctx, PriorityBulk). Every other send is
// transactional: the same line that decides which unsubscribes block a
// send (see [ForList]) decides its priority. Then:
//
//   - At the limiter, priority is strict: a transactional send is served
//     before every bulk send still waiting, and bulk sends leave
//     [TransactionalReserve] tokens of the bucket for it, so that a password
//     reset sent while a campaign saturates the rate waits at most one
//     token's interval (1/14 s at 14 recipients a second), and usually not
//     at all. The Client's own limiter and redislimiter.Limiter do this, the
//     latter across processes.
//   - At the 24-hour quota, Options.DailyReserve (10% by default) is kept
//     for transactional mail: a bulk send that would eat into it fails with
//     a *QuotaExceededError, and the campaign stops while password resets
//     still go.
//
// Bulk mail is not slowed when there is no transactional mail: it uses the
// whole rate, and the quota up to the reserve.
type Priority int

const (
	// PriorityTransactional is mail a person is waiting for: sign-up,
	// password reset, receipts. It is the zero value.
	PriorityTransactional Priority = iota
	// PriorityBulk is mail for a list: newsletters, campaigns, digests.
	PriorityBulk
)

// String returns "transactional" or "bulk".
func (p Priority) String() string {
	if p == PriorityBulk {
		return "bulk"
	}
	return "transactional"
}

type priorityKey struct{}

// WithPriority returns a copy of ctx whose sends have priority p:
//
//	err := client.Send(sesguard.WithPriority(ctx, sesguard.PriorityBulk), digest)
//
// Mail for a list is bulk whatever ctx says; see [Priority]. Mail for a
// list is best sent under [ForList], which also makes the list's
// unsubscribes block it; WithPriority is for bulk mail that belongs to no
// list.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityOf returns the priority of sends made with ctx: bulk when ctx
// carries a list ([ForList]), else the one set with [WithPriority],
// transactional by default. A [Limiter] reads it; the Client passes each
// send's priority to the Limiter this way.
func PriorityOf(ctx context.Context) Priority {
	if _, ok := ListOf(ctx); ok {
		return PriorityBulk
	}
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}

// sendPriority returns the priority of a send made with ctx whose input
// has the ListManagementOptions lm (nil for a bulk send).
func sendPriority(ctx context.Context, lm *types.ListManagementOptions) Priority {
	if lm != nil {
		return PriorityBulk
	}
	return PriorityOf(ctx)
}
