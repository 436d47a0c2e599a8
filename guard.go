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

// deliver takes a send of n screened recipients of priority p through the
// steps between the screening and SES, then makes the SES call:
//
//  1. The reputation breaker may refuse it (*BreakerOpenError).
//  2. The 24-hour quota may refuse it (*QuotaExceededError), without
//     calling SES; a bulk send may not use Options.DailyReserve.
//  3. The limiter takes n tokens at priority p.
//  4. call runs, and reports how many recipients SES accepted; an error is
//     judged by afterError, and a throttle is retried from step 3.
//
// The recipients SES accepted count toward the quota and the breaker.
func (c *Client) deliver(ctx context.Context, n int, p Priority, call func(context.Context) (sent int, err error)) error {
	if err := c.breaker.admit(ctx, n); err != nil {
		return err
	}
	if err := c.quota.reserve(c.now, n, p); err != nil {
		return err
	}
	pctx := WithPriority(ctx, p)
	for attempt := 1; ; attempt++ {
		pacedAt, err := c.waitPace(pctx, n)
		if err == nil {
			var sent int
			if sent, err = call(ctx); err == nil {
				c.quota.settle(c.now, n, sent)
				c.breaker.sentN(sent)
				return nil
			}
			var retry bool
			if retry, err = c.afterError(ctx, n, attempt, pacedAt, err); retry {
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
// and the reputation breaker from the Client's options. With
// Options.AccountQuota it reads the account, and fails when it cannot
// unless Options.ContinueWithoutAccount is set.
func (c *Client) initGuard() error {
	o := &c.opts
	switch {
	case o.SendRate < 0, o.DailyQuota < 0, o.SafetyFactor < 0 || o.SafetyFactor > 1, o.DailyReserve >= 1:
		return errors.New("sesguard: New: SendRate and DailyQuota must not be negative, SafetyFactor must be in [0, 1] and DailyReserve below 1")
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
	share := o.DailyReserve
	switch {
	case share == 0:
		share = defaultDailyReserve
	case share < 0:
		share = 0
	}

	var r rate.Limit
	switch {
	case o.SendRate > 0:
		r = rate.Limit(o.SendRate)
	case o.AccountQuota:
		r = rate.Inf // unpaced until the account is read
	}
	var lim Limiter
	switch l := o.Limiter.(type) {
	case nil:
		if r > 0 {
			lim = adaptRate(rate.NewLimiter(r, BurstFor(r)), c.now, c.sleep)
		}
	case tokenBucket: // a *rate.Limiter, or a type that embeds one
		lim = adaptRate(l, c.now, c.sleep)
	default:
		lim = l
	}
	if lim != nil {
		c.pace = newPacer(lim, c.now)
		if r > 0 {
			c.pace.setRate(r, false)
		}
	}
	switch {
	case o.DailyQuota > 0:
		c.quota = newDailyQuota(o.DailyQuota, share)
	case o.AccountQuota:
		c.quota = newDailyQuota(-1, share)
	}
	if c.quota != nil {
		c.quota.report = o.Hooks.Quota
	}

	var counts store.Counter = c.aux
	if sc, ok := c.store.(store.Counter); ok {
		counts = sc
	}
	c.breaker = newBreaker(o.Breaker, counts, c.now, c.log)
	if c.breaker != nil {
		c.breaker.report = o.Hooks.Breaker
	}

	if !o.AccountQuota {
		return nil
	}
	c.account = &account{
		api: c.api, every: o.AccountRefresh, factor: o.SafetyFactor,
		maxRate: rate.Limit(o.SendRate), maxDaily: o.DailyQuota,
		pace: c.pace, quota: c.quota, now: c.now, sleep: c.sleep, log: c.log,
		closed: make(chan struct{}),
	}
	if c.account.every <= 0 {
		c.account.every = defaultAccountRefresh
	}
	if c.account.factor == 0 {
		c.account.factor = defaultSafetyFactor
	}
	if err := c.account.first(); err != nil {
		if !o.ContinueWithoutAccount {
			c.account.close()
			return fmt.Errorf("sesguard: New: Options.AccountQuota could not read the account (set Options.ContinueWithoutAccount to send without it): %w", err)
		}
		c.log.Error("sesguard: reading the account's quota failed; sending without it until a refresh succeeds (ContinueWithoutAccount)",
			"err", err, "sendRate", o.SendRate, "dailyQuota", o.DailyQuota)
	}
	c.account.start()
	return nil
}
