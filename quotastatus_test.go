package sesguard_test

import (
	"bytes"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

// accessDenied is what SES answers a caller whose IAM policy lacks the
// action.
var accessDenied = sestest.Fault{Status: http.StatusForbidden, Code: "AccessDeniedException",
	Message: "User: arn:aws:iam::123456789012:user/app is not authorized to perform: ses:GetAccount"}

// logBuffer is a slog handler's output, safe for the Client's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelError}))
}

func TestGetAccountDeniedAtNew(t *testing.T) {
	clk := newClock()
	_, api, calls := accountSES(t, clk, 1e6, 1000)
	calls.fail("GetAccount", -1, accessDenied)

	t.Run("is an error", func(t *testing.T) {
		c, err := sesguard.New(api, func(o *sesguard.Options) { o.Now, o.AccountQuota = clk.Now, true })
		require.Error(t, err)
		assert.Nil(t, c)
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae, "the SDK's error stays reachable")
		assert.Equal(t, "AccessDeniedException", ae.ErrorCode())
		assert.Contains(t, err.Error(), "ContinueWithoutAccount", "the error says how to go on without it")
	})

	t.Run("unless the user chose to continue unpaced", func(t *testing.T) {
		var logs logBuffer
		s := newRefreshGate(clk)
		c, err := sesguard.New(api, func(o *sesguard.Options) {
			o.Now, o.Sleep, o.AccountQuota, o.ContinueWithoutAccount = clk.Now, s.Sleep, true, true
			o.Logger = logs.logger()
		})
		require.NoError(t, err)
		closeClient(t, c)
		assert.Contains(t, logs.String(), "level=ERROR")
		assert.Contains(t, logs.String(), "AccessDeniedException")

		for range 5 {
			_, err := c.Send(ctx, simple(recipients(50)...))
			require.NoError(t, err)
		}
		assert.Empty(t, s.taken(), "sends go unpaced")

		q := c.Quota()
		assert.Equal(t, sesguard.QuotaNone, q.Source)
		assert.True(t, q.LastRefresh.IsZero())
		assert.True(t, math.IsInf(q.Rate, 1), "rate %v", q.Rate)
		var ae smithy.APIError
		require.ErrorAs(t, q.LastError, &ae)
		assert.Equal(t, "AccessDeniedException", ae.ErrorCode())
	})
}

func TestFailingBackgroundRefreshIsLoggedAtError(t *testing.T) {
	clk := newClock()
	_, api, calls := accountSES(t, clk, 14, 1000)
	var logs logBuffer
	g := newRefreshGate(clk)
	c := accountClient(t, api, clk, g, func(o *sesguard.Options) { o.Logger = logs.logger() })
	require.NoError(t, c.Quota().LastError)
	assert.Empty(t, logs.String())

	calls.fail("GetAccount", -1, accessDenied)
	g.gate <- struct{}{}
	waitFor(t, func() bool { return c.Quota().LastError != nil })
	waitFor(t, func() bool { return bytes.Contains([]byte(logs.String()), []byte("level=ERROR")) })
	q := c.Quota()
	assert.Equal(t, sesguard.QuotaFromAccount, q.Source, "the quota last read stays in force")
	assert.InDelta(t, 14, q.Rate, 1e-9)
	assert.False(t, q.LastRefresh.IsZero())
}

func TestQuotaStatus(t *testing.T) {
	clk := newClock()
	ses, api, _ := accountSES(t, clk, 20, 1000)
	sentElsewhere(t, ses, 30)
	start := clk.Now()
	c := accountClient(t, api, clk, newRefreshGate(clk), func(o *sesguard.Options) { o.SendRate = 15 })
	_, err := c.Send(ctx, simple(recipients(5)...))
	require.NoError(t, err)
	assert.Equal(t, sesguard.QuotaStatus{
		Source:        sesguard.QuotaFromAccount,
		Rate:          15, // SendRate caps the account's 20
		MaxSendRate:   20,
		Max24HourSend: 1000,
		Used:          35,
		DailyReserve:  100,
		LastRefresh:   start,
	}, c.Quota())

	t.Run("from options", func(t *testing.T) {
		_, api := newSES(t)
		c := newClient(t, api, func(o *sesguard.Options) { o.SendRate, o.DailyQuota = 3, 500 })
		q := c.Quota()
		assert.Equal(t, sesguard.QuotaFromOptions, q.Source)
		assert.InDelta(t, 3, q.Rate, 1e-9)
		assert.Equal(t, int64(500), q.Max24HourSend)
		assert.Equal(t, int64(50), q.DailyReserve)
	})
	t.Run("a Limiter the Client cannot set", func(t *testing.T) {
		_, api := newSES(t)
		c := newClient(t, api, func(o *sesguard.Options) { o.Limiter = &priorityLimiter{} })
		q := c.Quota()
		assert.Equal(t, sesguard.QuotaFromOptions, q.Source)
		assert.Zero(t, q.Rate)
	})
	t.Run("none", func(t *testing.T) {
		_, api := newSES(t)
		assert.Equal(t, sesguard.QuotaStatus{Source: sesguard.QuotaNone}, newClient(t, api).Quota())
	})
	t.Run("unlimited", func(t *testing.T) {
		clk := newClock()
		_, api, _ := accountSES(t, clk, 1e6, -1)
		c := accountClient(t, api, clk, newRefreshGate(clk), func(o *sesguard.Options) { o.SafetyFactor = 0.5 })
		q := c.Quota()
		assert.Equal(t, int64(-1), q.Max24HourSend)
		assert.Equal(t, 5e5, q.Rate)
		assert.False(t, math.IsInf(q.Rate, 0))
		assert.Zero(t, q.DailyReserve)
	})
}
