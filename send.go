package sesguard

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go/middleware"
)

// Send sends in through SES unless its recipients are refused. It is a
// drop-in for (*sesv2.Client).SendEmail:
//
//  1. The recipients are taken from in.Destination (To, Cc, Bcc), or, for a
//     raw message without a Destination, from its To, Cc and Bcc headers.
//     A message in which no recipient is found is refused with
//     ErrNoRecipients, and nothing is sent.
//  2. Each is canonicalised (see [Canonical]), run through Options.Checks,
//     and looked up in the store, all recipients in one call. Account-wide
//     suppressions (bounces, complaints) refuse every send; an unsubscribe
//     refuses only mail for its list: a send under [ForList], or whose
//     ListManagementOptions name the SES contact list (and topic). Mail
//     with neither is transactional, and no unsubscribe blocks it.
//  3. Refused recipients — suppressed, vetoed, or unparsable — are removed
//     and the message goes to the rest; the caller learns which were
//     skipped from [SkippedRecipients] on the output's ResultMetadata and
//     from Options.OnSkip. If none remain, or Options.AllOrNothing is set,
//     nothing is sent and the error is a *SuppressedError (errors.Is
//     ErrSuppressed) that says why for each address.
//  4. The reputation breaker and the 24-hour quota may refuse the send
//     without calling SES (*BreakerOpenError, *QuotaExceededError); the
//     limiter takes one token per remaining recipient; SES is called, and
//     a send it throttles is retried, slowed (see Options.ThrottleRetries).
//
// in is never modified: when recipients are removed, SES receives a copy
// whose Destination lists those that remain (for a raw message, their
// headers are left as written; the Destination decides who receives it).
//
// When the store or a check fails, Send returns a *StoreError or *CheckError
// without calling SES, unless Options.FailOpen is set. Errors from SES keep
// their SDK types: errors.As(err, new(*types.MessageRejected)) works on what
// Send returns.
func (c *Client) Send(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	var run sendRun
	ctx = run.start(ctx, c.opts.Hooks, in, nil)
	out, err := c.send(ctx, in, optFns, &run)
	run.end(err)
	return out, err
}

func (c *Client) send(ctx context.Context, in *sesv2.SendEmailInput, optFns []func(*sesv2.Options), run *sendRun) (*sesv2.SendEmailOutput, error) {
	if in == nil {
		return nil, fmt.Errorf("%w: nil SendEmailInput", ErrInvalidMessage)
	}
	c.housekeep()
	scopes, err := sendScopes(ctx, in.ListManagementOptions)
	if err != nil {
		return nil, err
	}
	rs, err := c.recipientsOf(in)
	if err != nil {
		return nil, err
	}
	lu, err := c.sendUnsubscribe(ctx, in, rs)
	if err != nil {
		return nil, err
	}
	refused, err := c.screen(ctx, rs, scopes)
	if err != nil {
		return nil, err
	}
	skipped, kept := c.skippedOf(rs, refused)
	run.screened(len(rs), kept, skipped)
	if len(skipped) > 0 {
		c.reportSkips(ctx, skipped)
		if kept == 0 {
			return nil, &SuppressedError{Skipped: skipped}
		}
		if c.opts.AllOrNothing {
			return nil, &SuppressedError{Skipped: skipped, Withheld: kept}
		}
		cp := *in
		cp.Destination = destinationOf(rs, c.keeper(refused))
		in = &cp
	}
	if in, err = lu.addTo(c, in); err != nil {
		return nil, err
	}
	var out *sesv2.SendEmailOutput
	err = c.deliver(ctx, kept, sendPriority(ctx, in.ListManagementOptions), func(ctx context.Context) (int, error) {
		var err error
		out, err = c.api.SendEmail(ctx, in, withoutThrottleRetries(optFns)...)
		return kept, err
	})
	if err != nil {
		return nil, err
	}
	run.sent(kept)
	if len(skipped) > 0 && out != nil {
		out.ResultMetadata.Set(skippedKey{}, skipped)
	}
	return out, nil
}

// SendEmail is Send under the SDK's name, so that a *Client satisfies
// SESv2API and can replace a *sesv2.Client in code that calls SendEmail.
func (c *Client) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return c.Send(ctx, in, optFns...)
}

type skippedKey struct{}

// SkippedRecipients returns the recipients that a successful Send or
// SendBulkEmail removed before calling SES, read from the output's
// ResultMetadata:
//
//	out, err := client.Send(ctx, in)
//	if err != nil { … }
//	for _, s := range sesguard.SkippedRecipients(out.ResultMetadata) {
//		log.Printf("not sent to %s: %s", s.Recipient, s.Reason)
//	}
//
// It returns nil when no recipient was skipped.
func SkippedRecipients(md middleware.Metadata) []Skipped {
	s, _ := md.Get(skippedKey{}).([]Skipped)
	return s
}
