package sesguard

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// Defaults of the throttle retries.
const (
	defaultThrottleRetries = 8
	defaultThrottleBackoff = 100 * time.Millisecond
	maxThrottleBackoff     = 5 * time.Second
)

// withoutThrottleRetries returns optFns and one more that stops the SDK's
// retryer from retrying TooManyRequestsException. The SDK's standard
// retryer treats it as a throttle and retries it on its own schedule, past
// the Client's limiter; sesguard retries it itself, through the limiter,
// slowed, so that every retry is paced and counted once. The SDK still
// retries what it retries otherwise (5xx answers, broken connections).
func withoutThrottleRetries(optFns []func(*sesv2.Options)) []func(*sesv2.Options) {
	if len(optFns) == 0 {
		return onlyKeepThrottles
	}
	return append(optFns[:len(optFns):len(optFns)], keepThrottlesFromSDK)
}

var onlyKeepThrottles = []func(*sesv2.Options){keepThrottlesFromSDK}

func keepThrottlesFromSDK(o *sesv2.Options) {
	if o.Retryer != nil {
		o.Retryer = throttlesNotRetried{o.Retryer}
	}
}

// throttlesNotRetried is an SDK retryer that does not retry throttles.
type throttlesNotRetried struct{ aws.Retryer }

var _ aws.RetryerV2 = throttlesNotRetried{}

// IsErrorRetryable is the wrapped retryer's answer, but false for
// TooManyRequestsException.
func (r throttlesNotRetried) IsErrorRetryable(err error) bool {
	var tooMany *types.TooManyRequestsException
	if errors.As(err, &tooMany) {
		return false
	}
	return r.Retryer.IsErrorRetryable(err)
}

// GetAttemptToken is the wrapped retryer's, which predates RetryerV2 when it
// has none.
func (r throttlesNotRetried) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.GetInitialToken(), nil
}

// afterError decides what an SES error on attempt (counting from 1) of a
// send of n recipients, paced at pacedAt, means: retry (after the backoff, already waited), or
// the final error. SES errors are told apart by type, never by message:
//
//   - SendingPausedException, AccountSuspendedException: final; they open
//     the reputation breaker, since nothing will go until AWS acts.
//   - TooManyRequestsException: SES answers it both for the rate and for
//     the 24-hour quota, with nothing but the message to tell them apart.
//     With Options.AccountQuota the Client reads the account (one
//     GetAccount, shared by the throttles of a few seconds) and, when its
//     counters show the quota spent, the send fails with a
//     *QuotaExceededError that wraps SES's error and later sends fail
//     fast. Otherwise — and always without AccountQuota, when only the
//     Client's own sends are known — it is a rate throttle: the limiter is
//     slowed and the send retried after a jittered backoff, within ctx and
//     Options.ThrottleRetries.
//   - anything else (MessageRejected, ...): final, for this message only.
func (c *Client) afterError(ctx context.Context, n, attempt int, pacedAt time.Time, err error) (retry bool, final error) {
	var (
		paused    *types.SendingPausedException
		suspended *types.AccountSuspendedException
		tooMany   *types.TooManyRequestsException
	)
	switch {
	case errors.As(err, &paused):
		c.breaker.trip(paused.ErrorCode(), err)
	case errors.As(err, &suspended):
		c.breaker.trip(suspended.ErrorCode(), err)
	case errors.As(err, &tooMany):
		return c.throttled(ctx, n, attempt, pacedAt, err)
	}
	return false, fmt.Errorf("sesguard: %w", err)
}

func (c *Client) throttled(ctx context.Context, n, attempt int, pacedAt time.Time, err error) (bool, error) {
	now := c.now()
	if c.account != nil && c.account.refresh(ctx, now.Add(-throttleRefreshGap)) == nil {
		if q := c.quota.spent(c.now(), n); q != nil {
			q.Err = err
			return false, q
		}
	}
	c.pace.throttled(pacedAt, now)
	if attempt > c.retries {
		return false, fmt.Errorf("sesguard: throttled %d times: %w", attempt, err)
	}
	d := c.backoff(attempt)
	if deadline, ok := ctx.Deadline(); ok && c.now().Add(d).After(deadline) {
		return false, fmt.Errorf("sesguard: throttled, and no time left to retry: %w", err)
	}
	c.log.DebugContext(ctx, "sesguard: SES throttled a send; retrying", "recipients", n, "attempt", attempt, "backoff", d)
	if serr := c.sleep(ctx, d); serr != nil {
		return false, fmt.Errorf("sesguard: throttled, and gave up waiting to retry: %w (%w)", err, serr)
	}
	return true, nil
}

// backoff returns the wait before retry attempt (from 1): exponential from
// Options.ThrottleBackoff up to maxThrottleBackoff, jittered between half
// and all of it, so that throttled senders do not retry in step.
func (c *Client) backoff(attempt int) time.Duration {
	d := maxThrottleBackoff
	if attempt < 16 {
		d = min(d, c.backoffBase<<(attempt-1))
	}
	return d/2 + rand.N(d/2+1)
}
