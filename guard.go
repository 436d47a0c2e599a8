package sesguard

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"golang.org/x/time/rate"

	"github.com/sesguard/sesguard/store"
)

// deliver takes a send of n screened recipients through the steps between
// the screening and SES, then makes the SES call:
//
//  1. With Options.AccountQuota, the first sends wait for the account's
//     quota to be read.
//  2. The reputation breaker may refuse it (*BreakerOpenError).
//  3. The 24-hour quota may refuse it (*QuotaExceededError), without
//     calling SES.
//  4. The limiter takes n tokens.
//  5. call runs, and reports how many recipients SES accepted; an error is
//     judged by afterError, and a throttle is retried from step 4.
//
// The recipients SES accepted count toward the quota and the breaker.
func (c *Client) deliver(ctx context.Context, n int, call func(context.Context) (sent int, err error)) error {
	if c.account != nil {
		if err := c.account.waitReady(ctx); err != nil {
			return err
		}
	}
	if err := c.breaker.admit(ctx, n); err != nil {
		return err
	}
	if err := c.quota.reserve(c.now, n); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err := c.pace.wait(ctx, n)
		if err == nil {
			var sent int
			if sent, err = call(ctx); err == nil {
				c.quota.settle(c.now, n, sent)
				c.breaker.sentN(sent)
				return nil
			}
			var retry bool
			if retry, err = c.afterError(ctx, n, attempt, err); retry {
				continue
			}
		}
		c.quota.settle(c.now, n, 0)
		return err
	}
}

// bulkSent returns how many of the recipients of the entries sent (kept,
// in the order sent) SES accepted, and opens the breaker for an entry SES
// refused because sending is paused or the account suspended.
func (c *Client) bulkSent(out *sesv2.SendBulkEmailOutput, kept []int) int {
	sent := 0
	for j, r := range out.BulkEmailEntryResults {
		switch r.Status {
		case types.BulkEmailStatusSuccess:
			if j < len(kept) {
				sent += kept[j]
			}
		case types.BulkEmailStatusAccountSendingPaused, types.BulkEmailStatusAccountSuspended:
			c.breaker.trip(string(r.Status), fmt.Errorf("bulk entry %s: %s", r.Status, aws.ToString(r.Error)))
		}
	}
	return sent
}

// initGuard sets up the limiter, the 24-hour quota, the account refresher
// and the reputation breaker from the Client's options.
func (c *Client) initGuard() error {
	o := &c.opts
	switch {
	case o.SendRate < 0, o.DailyQuota < 0, o.SafetyFactor < 0 || o.SafetyFactor > 1:
		return errors.New("sesguard: New: SendRate and DailyQuota must not be negative, and SafetyFactor must be in [0, 1]")
	}
	c.sleep = o.Sleep
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	c.retries = o.ThrottleRetries
	if c.retries == 0 {
		c.retries = defaultThrottleRetries
	}
	c.backoffBase = o.ThrottleBackoff
	if c.backoffBase <= 0 {
		c.backoffBase = defaultThrottleBackoff
	}

	var r rate.Limit
	switch {
	case o.SendRate > 0:
		r = rate.Limit(o.SendRate)
	case o.AccountQuota:
		r = 1 // SES's lowest rate, until the account is read
	}
	lim := o.Limiter
	if lim == nil && r > 0 {
		lim = rate.NewLimiter(r, BurstFor(r))
	}
	if lim != nil {
		c.pace = newPacer(lim, c.now, c.sleep)
		if r > 0 {
			c.pace.setRate(r, false)
		}
	}
	if o.DailyQuota > 0 {
		c.quota = newDailyQuota(o.DailyQuota)
	}
	if o.AccountQuota {
		if c.quota == nil {
			c.quota = newDailyQuota(-1)
		}
		c.account = &account{
			api: c.api, every: o.AccountRefresh, factor: o.SafetyFactor,
			maxRate: rate.Limit(o.SendRate), maxDaily: o.DailyQuota,
			pace: c.pace, quota: c.quota, now: c.now, sleep: c.sleep, log: c.log,
		}
		if c.account.every <= 0 {
			c.account.every = defaultAccountRefresh
		}
		if c.account.factor == 0 {
			c.account.factor = defaultSafetyFactor
		}
		c.account.start()
	}

	var counts store.Counter = c.aux
	if sc, ok := c.store.(store.Counter); ok {
		counts = sc
	}
	c.breaker = newBreaker(o.Breaker, counts, c.now, c.log)
	return nil
}
