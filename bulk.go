package sesguard

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// BulkStatusSuppressed is the Status of the result of a bulk entry that
// sesguard did not send because its recipients were refused; the result's
// Error says why, per address.
const BulkStatusSuppressed types.BulkEmailStatus = "SUPPRESSED"

// SendBulkEmail sends in through SES, guarding each entry the way Send
// guards a message: refused recipients are removed from the entry's
// Destination, and an entry left without recipients (or, with
// Options.AllOrNothing, with any refused) is not sent. The output has one
// result per entry of in, in its original position: SES's result for the
// entries sent, and Status [BulkStatusSuppressed] for those that were not.
// [SkippedRecipients] on the output's ResultMetadata lists every skipped
// recipient.
//
// The breaker, the 24-hour quota, the limiter and throttle retries apply
// as for Send, to the recipients of every entry sent together.
//
// When no entry is left to send, SES is not called, and SendBulkEmail returns
// the output with every result together with a *SuppressedError.
func (c *Client) SendBulkEmail(ctx context.Context, in *sesv2.SendBulkEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendBulkEmailOutput, error) {
	var run sendRun
	ctx = run.start(ctx, c.opts.Hooks, nil, in)
	out, err := c.sendBulkEmail(ctx, in, optFns, &run)
	run.end(err)
	return out, err
}

func (c *Client) sendBulkEmail(ctx context.Context, in *sesv2.SendBulkEmailInput, optFns []func(*sesv2.Options), run *sendRun) (*sesv2.SendBulkEmailOutput, error) {
	if in == nil {
		return nil, fmt.Errorf("%w: nil SendBulkEmailInput", ErrInvalidMessage)
	}
	per := make([][]recipient, len(in.BulkEmailEntries))
	var all []recipient
	for i, e := range in.BulkEmailEntries {
		per[i] = c.destinationRecipients(e.Destination, nil)
		all = append(all, per[i]...)
	}
	c.housekeep()
	scopes, err := sendScopes(ctx, nil)
	if err != nil {
		return nil, err
	}
	lu, addrs, err := c.bulkUnsubscribe(ctx, in, per)
	if err != nil {
		return nil, err
	}
	refused, err := c.screen(ctx, all, scopes)
	if err != nil {
		return nil, err
	}

	results := make([]types.BulkEmailEntryResult, len(in.BulkEmailEntries))
	send := make([]types.BulkEmailEntry, 0, len(in.BulkEmailEntries))
	sentFrom := make([]int, 0, len(in.BulkEmailEntries)) // index in in of each entry sent
	keptSent := make([]int, 0, len(in.BulkEmailEntries)) // its recipients
	var allSkipped []Skipped
	keptAll := 0
	for i, e := range in.BulkEmailEntries {
		skipped, kept := c.skippedOf(per[i], refused)
		keptAll += kept
		if len(skipped) > 0 {
			allSkipped = append(allSkipped, skipped...)
			if kept == 0 || c.opts.AllOrNothing {
				results[i] = types.BulkEmailEntryResult{
					Status: BulkStatusSuppressed,
					Error:  aws.String((&SuppressedError{Skipped: skipped, Withheld: kept}).Error()),
				}
				continue
			}
			e.Destination = destinationOf(per[i], c.keeper(refused))
		}
		if lu != nil {
			if e, err = lu.addToEntry(c, e, addrs[i]); err != nil {
				return nil, err
			}
		}
		send = append(send, e)
		sentFrom = append(sentFrom, i)
		keptSent = append(keptSent, kept)
	}
	run.screened(len(all), keptAll, allSkipped)
	if len(allSkipped) == 0 {
		if lu != nil {
			cp := *in
			cp.BulkEmailEntries = send
			in = &cp
		}
		return c.sendBulk(ctx, in, keptSent, optFns, run)
	}

	c.reportSkips(ctx, allSkipped)
	if len(send) == 0 {
		return &sesv2.SendBulkEmailOutput{BulkEmailEntryResults: results}, &SuppressedError{Skipped: allSkipped}
	}
	cp := *in
	cp.BulkEmailEntries = send
	out, err := c.sendBulk(ctx, &cp, keptSent, optFns, run)
	if err != nil {
		return nil, err
	}
	// SES answers one result per entry sent, in the order sent.
	for j, r := range out.BulkEmailEntryResults {
		if j < len(sentFrom) {
			results[sentFrom[j]] = r
		}
	}
	out.BulkEmailEntryResults = results
	out.ResultMetadata.Set(skippedKey{}, allSkipped)
	return out, nil
}

// sendBulk sends in, whose entries have kept recipients each, through
// deliver. SES may throttle single entries (ACCOUNT_THROTTLED) rather than
// the call: those entries are sent again, alone, after the same backoff as
// a throttled call, until SES takes them or the retries run out, when
// their results keep SES's status.
func (c *Client) sendBulk(ctx context.Context, in *sesv2.SendBulkEmailInput, kept []int, optFns []func(*sesv2.Options), run *sendRun) (*sesv2.SendBulkEmailOutput, error) {
	out, err := c.sendBulkOnce(ctx, in, kept, optFns, run)
	if err != nil {
		return nil, err
	}
	pending := make([]int, len(in.BulkEmailEntries)) // index in in of each entry of the last call
	for i := range pending {
		pending[i] = i
	}
	results := out.BulkEmailEntryResults
	for attempt := 1; ; attempt++ {
		var throttled []int
		for j, r := range out.BulkEmailEntryResults {
			if j < len(pending) {
				results[pending[j]] = r
				if r.Status == types.BulkEmailStatusAccountThrottled {
					throttled = append(throttled, pending[j])
				}
			}
		}
		if len(throttled) == 0 {
			break
		}
		cp := *in
		cp.BulkEmailEntries = make([]types.BulkEmailEntry, len(throttled))
		keptNow := make([]int, len(throttled))
		n := 0
		for j, i := range throttled {
			cp.BulkEmailEntries[j], keptNow[j] = in.BulkEmailEntries[i], kept[i]
			n += kept[i]
		}
		throttle := &types.TooManyRequestsException{Message: results[throttled[0]].Error}
		if retry, _ := c.throttled(ctx, n, attempt, c.now(), throttle); !retry {
			break
		}
		next, err := c.sendBulkOnce(ctx, &cp, keptNow, optFns, run)
		if err != nil {
			c.log.WarnContext(ctx, "sesguard: resending throttled bulk entries failed", "entries", len(throttled), "err", err)
			break
		}
		out, pending = next, throttled
	}
	out.BulkEmailEntryResults = results
	return out, nil
}

// sendBulkOnce makes one SendBulkEmail call through deliver.
func (c *Client) sendBulkOnce(ctx context.Context, in *sesv2.SendBulkEmailInput, kept []int, optFns []func(*sesv2.Options), run *sendRun) (*sesv2.SendBulkEmailOutput, error) {
	n := 0
	for _, k := range kept {
		n += k
	}
	var out *sesv2.SendBulkEmailOutput
	err := c.deliver(ctx, n, sendPriority(ctx, nil), func(ctx context.Context) (int, error) {
		var err error
		if out, err = c.api.SendBulkEmail(ctx, in, withoutThrottleRetries(optFns)...); err != nil {
			return 0, err
		}
		sent := c.bulkSent(out, kept)
		run.sent(sent)
		return sent, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
