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
	defaultSafetyFactor   = 1.0
	// New waits this long for the first GetAccount.
	accountFirstTimeout = 30 * time.Second
	// A failed refresh is tried again after at most this long.
	accountRetry = 10 * time.Second
	// A throttled send asks for a refresh that started at most this long
	// before the throttle, so that a burst of throttles costs one GetAccount.
	throttleRefreshGap = 5 * time.Second
)

// account keeps the Client's rate and 24-hour quota in step with the SES
// account: it calls GetAccount once in New, then every
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

	closed    chan struct{} // closed by close
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu          sync.Mutex
	flight      *refreshFlight // the refresh under way, or nil
	lastStart   time.Time      // when the last finished refresh started
	lastErr     error
	lastRead    time.Time // when GetAccount last answered with a usable quota
	maxSendRate float64   // the account's MaxSendRate as last read
}

type refreshFlight struct {
	start time.Time
	done  chan struct{}
	err   error
}

// first reads the account for New, within accountFirstTimeout.
func (a *account) first() error {
	ctx, cancel := context.WithTimeout(context.Background(), accountFirstTimeout)
	defer cancel()
	return a.refresh(ctx, a.now())
}

// start runs the periodic refreshes in the background; the first comes
// after Options.AccountRefresh, or sooner when the last read failed.
func (a *account) start() {
	ctx, cancel := a.lifetime()
	a.wg.Go(func() {
		defer cancel()
		for {
			a.mu.Lock()
			wait := a.every
			if a.lastErr != nil {
				wait = min(wait, accountRetry)
			}
			a.mu.Unlock()
			if a.sleep(ctx, wait) != nil {
				return
			}
			if err := a.refresh(ctx, a.now()); err != nil && !errors.Is(err, ErrClosed) && ctx.Err() == nil {
				a.log.Error("sesguard: refreshing the account's quota failed; keeping the rate and quota last read", "err", err)
			}
		}
	})
}

// lifetime returns a context that is done when the Client is closed.
func (a *account) lifetime() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-a.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// close stops the background refreshes and waits for them to end.
func (a *account) close() {
	a.mu.Lock()
	a.closeOnce.Do(func() { close(a.closed) })
	a.mu.Unlock()
	a.wg.Wait()
}

// refresh makes sure the account was read by a GetAccount that started no
// earlier than notBefore, calling it when needed, and returns that call's
// error. It waits for the call at most as long as ctx allows.
func (a *account) refresh(ctx context.Context, notBefore time.Time) error {
	for {
		a.mu.Lock()
		f := a.flight
		if f == nil {
			select {
			case <-a.closed:
				a.mu.Unlock()
				return ErrClosed
			default:
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
	ctx, cancel := a.lifetime()
	f.err = a.fetch(ctx)
	cancel()
	a.mu.Lock()
	a.flight = nil
	a.lastStart, a.lastErr = f.start, f.err
	a.mu.Unlock()
	close(f.done)
}

func (a *account) fetch(ctx context.Context) error {
	out, err := a.api.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return fmt.Errorf("sesguard: GetAccount (the IAM policy needs ses:GetAccount): %w", err)
	}
	q := out.SendQuota
	if q == nil || !(q.MaxSendRate > 0) || math.IsInf(q.MaxSendRate, 0) || math.IsNaN(q.Max24HourSend) || math.IsNaN(q.SentLast24Hours) {
		return fmt.Errorf("sesguard: GetAccount returned no usable SendQuota (%+v)", q)
	}
	r := rate.Limit(q.MaxSendRate * a.factor)
	if a.maxRate > 0 {
		r = min(r, a.maxRate)
	}
	now := a.now()
	a.mu.Lock()
	first := a.lastRead.IsZero()
	a.lastRead, a.maxSendRate = now, q.MaxSendRate
	a.mu.Unlock()
	a.pace.setRate(r, first)
	daily := int64(q.Max24HourSend)
	if q.Max24HourSend < 0 {
		daily = -1
	}
	if a.maxDaily > 0 && (daily < 0 || a.maxDaily < daily) {
		daily = a.maxDaily
	}
	a.quota.account(now, daily, int64(q.SentLast24Hours), now.Add(a.every))
	a.log.Debug("sesguard: account quota read", "maxSendRate", q.MaxSendRate, "rate", float64(r),
		"max24HourSend", q.Max24HourSend, "sentLast24Hours", q.SentLast24Hours)
	return nil
}

// status returns when the account was last read, its MaxSendRate then, and
// the last refresh's error.
func (a *account) status() (lastRead time.Time, maxSendRate float64, lastErr error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastRead, a.maxSendRate, a.lastErr
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
// Options.AccountQuota and the purge of Options.PurgeEvery — and waits for
// it to end. A closed Client still sends, at the rate and quota last read,
// and applies notifications, without purging. Close is safe to call more
// than once.
func (c *Client) Close() error {
	c.stopHousekeeping()
	if c.account != nil {
		c.account.close()
	}
	return nil
}
