package sesguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"golang.org/x/time/rate"
)

// ErrClosed: the Client was closed, so it no longer refreshes the account's
// quota.
var ErrClosed = errors.New("sesguard: client closed")

// Defaults of the account refresher.
const (
	defaultAccountRefresh = time.Minute
	defaultSafetyFactor   = 0.95
	// A failed refresh is tried again after at most this long.
	accountRetry = 10 * time.Second
	// A throttled send asks for a refresh that started at most this long
	// before the throttle, so that a burst of throttles costs one GetAccount.
	throttleRefreshGap = 5 * time.Second
)

// account keeps the Client's rate and 24-hour quota in step with the SES
// account: it calls GetAccount once when the Client is made, then every
// Options.AccountRefresh, and when a throttled send needs to know whether
// the daily quota is spent. Concurrent requests for a refresh share one
// GetAccount.
type account struct {
	api      SESv2API
	every    time.Duration
	factor   float64
	maxRate  rate.Limit // Options.SendRate as a cap; 0: none
	maxDaily int64      // Options.DailyQuota as a cap; 0: none
	pace     *pacer
	quota    *dailyQuota
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger

	life      context.Context // done when the Client is closed
	stop      context.CancelFunc
	wg        sync.WaitGroup
	ready     chan struct{} // closed when the first refresh has finished, or on close
	readyOnce sync.Once

	mu        sync.Mutex
	flight    *refreshFlight // the refresh under way, or nil
	lastStart time.Time      // when the last finished refresh started
	lastErr   error
	known     bool // whether a refresh has succeeded
}

type refreshFlight struct {
	start time.Time
	done  chan struct{}
	err   error
}

// start runs the first refresh and the periodic ones in the background.
func (a *account) start() {
	a.life, a.stop = context.WithCancel(context.Background())
	a.ready = make(chan struct{})
	a.wg.Go(func() {
		for {
			err := a.refresh(a.life, a.now())
			wait := a.every
			if err != nil {
				wait = min(wait, accountRetry)
			}
			if a.sleep(a.life, wait) != nil {
				return
			}
		}
	})
}

// close stops the background refreshes and waits for them to end.
func (a *account) close() {
	a.mu.Lock()
	a.stop()
	a.mu.Unlock()
	a.wg.Wait()
	a.readyOnce.Do(func() { close(a.ready) })
}

// waitReady waits until the first refresh has finished, whatever its result,
// so that the first sends go at the account's rate.
func (a *account) waitReady(ctx context.Context) error {
	select {
	case <-a.ready:
		return nil
	default:
	}
	select {
	case <-a.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sesguard: waiting for the account's quota (GetAccount): %w", ctx.Err())
	}
}

// refresh makes sure the account was read by a GetAccount that started no
// earlier than notBefore, calling it when needed, and returns that call's
// error. It waits for the call at most as long as ctx allows.
func (a *account) refresh(ctx context.Context, notBefore time.Time) error {
	for {
		a.mu.Lock()
		f := a.flight
		if f == nil {
			if a.life.Err() != nil {
				a.mu.Unlock()
				return ErrClosed
			}
			if !a.lastStart.IsZero() && !a.lastStart.Before(notBefore) {
				err := a.lastErr
				a.mu.Unlock()
				return err
			}
			f = &refreshFlight{start: a.now(), done: make(chan struct{})}
			a.flight = f
			a.wg.Go(func() { a.fly(f) })
		}
		a.mu.Unlock()
		select {
		case <-f.done:
			if !f.start.Before(notBefore) {
				return f.err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// fly calls GetAccount for f and applies its answer.
func (a *account) fly(f *refreshFlight) {
	f.err = a.fetch()
	a.mu.Lock()
	a.flight = nil
	a.lastStart, a.lastErr = f.start, f.err
	a.mu.Unlock()
	close(f.done)
	a.readyOnce.Do(func() { close(a.ready) })
}

func (a *account) fetch() error {
	out, err := a.api.GetAccount(a.life, &sesv2.GetAccountInput{})
	if err != nil {
		a.log.Warn("sesguard: GetAccount failed; keeping the quota in force", "err", err)
		return fmt.Errorf("sesguard: GetAccount: %w", err)
	}
	q := out.SendQuota
	if q == nil || !(q.MaxSendRate > 0) || math.IsInf(q.MaxSendRate, 0) || math.IsNaN(q.Max24HourSend) || math.IsNaN(q.SentLast24Hours) {
		a.log.Warn("sesguard: GetAccount returned no usable SendQuota; keeping the quota in force", "quota", q)
		return errors.New("sesguard: GetAccount returned no usable SendQuota")
	}
	r := rate.Limit(q.MaxSendRate * a.factor)
	if a.maxRate > 0 {
		r = min(r, a.maxRate)
	}
	a.mu.Lock()
	first := !a.known
	a.known = true
	a.mu.Unlock()
	a.pace.setRate(r, first)
	daily := int64(q.Max24HourSend)
	if q.Max24HourSend < 0 {
		daily = -1
	}
	if a.maxDaily > 0 && (daily < 0 || a.maxDaily < daily) {
		daily = a.maxDaily
	}
	now := a.now()
	a.quota.account(now, daily, int64(q.SentLast24Hours), now.Add(a.every))
	a.log.Debug("sesguard: account quota read", "maxSendRate", q.MaxSendRate, "rate", float64(r),
		"max24HourSend", q.Max24HourSend, "sentLast24Hours", q.SentLast24Hours)
	return nil
}

// RefreshQuota reads the account's quota now with GetAccount (Options.AccountQuota)
// and applies it: the send rate, the 24-hour quota and the recipients SES
// counted in the last 24 hours. Refreshes already happen in the background;
// this is for callers that know the account changed. Without
// Options.AccountQuota it does nothing.
func (c *Client) RefreshQuota(ctx context.Context) error {
	if c.account == nil {
		return nil
	}
	return c.account.refresh(ctx, c.now())
}

// Close stops the Client's background work — the periodic GetAccount of
// Options.AccountQuota and the periodic purge of Options.PurgeEvery — and
// waits for it to end. A closed Client still sends, at the rate and quota
// last read, and applies notifications, without purging. Close is safe to
// call more than once.
func (c *Client) Close() error {
	c.stopHousekeeping()
	if c.account != nil {
		c.account.close()
	}
	return nil
}
