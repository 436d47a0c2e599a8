package sesguard_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

var bulkCtx = sesguard.WithPriority(context.Background(), sesguard.PriorityBulk)

func TestPriorityOf(t *testing.T) {
	assert.Equal(t, sesguard.PriorityTransactional, sesguard.PriorityOf(context.Background()), "the default")
	assert.Equal(t, sesguard.PriorityBulk, sesguard.PriorityOf(bulkCtx))
	assert.Equal(t, sesguard.PriorityBulk, sesguard.PriorityOf(sesguard.ForList(context.Background(), "news")), "mail for a list")
	assert.Equal(t, "bulk", sesguard.PriorityBulk.String())
	assert.Equal(t, "transactional", sesguard.PriorityTransactional.String())
}

func TestTransactionalReserve(t *testing.T) {
	for burst, want := range map[int]int{1: 0, 2: 1, 7: 1, 8: 2, 50: 12, 250: 62} {
		assert.Equal(t, want, sesguard.TransactionalReserve(burst), "burst %d", burst)
	}
}

// TestRateLimiterKeepsTheReserveForTransactionalMail steps a RateLimiter
// at 14/s (a bucket of 7, one token kept for transactional mail) through
// bulk and transactional requests.
func TestRateLimiterKeepsTheReserveForTransactionalMail(t *testing.T) {
	clk := newClock()
	s := &sleeper{clk: clk}
	lim := sesguard.AdaptRateOn(rate.NewLimiter(14, 7), clk.Now, s.Sleep)
	interval := time.Second / 14
	steps := []struct {
		name string
		ctx  context.Context
		n    int
		wait time.Duration
	}{
		{"bulk takes all but the reserve", bulkCtx, 6, 0},
		{"then waits for a token above it", bulkCtx, 1, interval + 1},
		{"a transactional send takes the reserve at once", ctx, 1, 0},
		{"and the next waits one token", ctx, 1, interval},
		{"a bulk message larger than the rest waits for the rest", bulkCtx, 10, 7 * interval},
		{"and leaves the bucket in debt", ctx, 1, 4 * interval},
	}
	for _, st := range steps {
		require.NoError(t, lim.WaitN(st.ctx, st.n), st.name)
		var waited time.Duration
		for _, w := range s.taken() {
			waited += w
		}
		assert.InDelta(t, st.wait, waited, float64(time.Microsecond), st.name)
	}
}

func TestRateLimiterRefusesABulkWaitPastTheDeadline(t *testing.T) {
	clk := wallClock()
	s := &sleeper{clk: clk}
	lim := sesguard.AdaptRateOn(rate.NewLimiter(10, 5), clk.Now, s.Sleep)
	require.NoError(t, lim.WaitN(bulkCtx, 4))
	dctx, cancel := context.WithTimeout(bulkCtx, 50*time.Millisecond)
	defer cancel()
	err := lim.WaitN(dctx, 1)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, s.taken(), "waited before failing")
	assert.NoError(t, lim.WaitN(ctx, 1), "the refused bulk send took nothing: the reserve is still there")
	assert.Empty(t, s.taken())
}

// embedded is a Limiter a user might write: a *rate.Limiter with a method
// of its own. Its promoted WaitN refuses n above the burst, so New adapts
// it as it adapts a *rate.Limiter.
type embedded struct{ *rate.Limiter }

func (embedded) Name() string { return "mine" }

func TestALimiterEmbeddingRateLimiterPacesA50RecipientSend(t *testing.T) {
	clk := newClock()
	ses, api := newSES(t, onSESClock(clk), func(o *sestest.Options) { o.Account.MaxSendRate = 14 })
	s := &sleeper{clk: clk}
	c := newClient(t, api, onClock(clk, s), func(o *sesguard.Options) { o.Limiter = embedded{rate.NewLimiter(14, 7)} })
	_, err := c.Send(ctx, simple(recipients(50)...))
	require.NoError(t, err)
	assert.Empty(t, s.taken(), "a full bucket lets the message go")
	_, err = c.Send(ctx, simple("next@example.com"))
	require.NoError(t, err)
	w := s.taken()
	require.Len(t, w, 1)
	assert.InDelta(t, 44*time.Second/14, w[0], float64(time.Microsecond), "the debt of 43 tokens and one more")
	q := ses.Quota()
	assert.Equal(t, int64(51), q.Recipients)
	assert.Zero(t, q.RateThrottles)
}

func TestMailForAListIsBulk(t *testing.T) {
	lim := &priorityLimiter{}
	_, api := newSES(t)
	c := newClient(t, api, func(o *sesguard.Options) { o.Limiter = lim })
	listed := simple("a@example.com")
	listed.ListManagementOptions = &types.ListManagementOptions{ContactListName: aws.String("news")}
	for _, tt := range []struct {
		name string
		ctx  context.Context
		in   bool // with ListManagementOptions
		want sesguard.Priority
	}{
		{"plain", ctx, false, sesguard.PriorityTransactional},
		{"marked bulk", bulkCtx, false, sesguard.PriorityBulk},
		{"for a contact list", ctx, true, sesguard.PriorityBulk},
		{"for a contact list, marked transactional", sesguard.WithPriority(ctx, sesguard.PriorityTransactional), true, sesguard.PriorityBulk},
		{"for a list", sesguard.ForList(ctx, "news"), false, sesguard.PriorityBulk},
		{"for a list, marked transactional", sesguard.WithPriority(sesguard.ForList(ctx, "news"), sesguard.PriorityTransactional), false, sesguard.PriorityBulk},
	} {
		in := simple("a@example.com")
		if tt.in {
			in = listed
		}
		_, err := c.Send(tt.ctx, in)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, lim.last, tt.name)
	}
}

// priorityLimiter is a Limiter that records the priority it was asked at.
type priorityLimiter struct{ last sesguard.Priority }

func (l *priorityLimiter) WaitN(ctx context.Context, _ int) error {
	l.last = sesguard.PriorityOf(ctx)
	return nil
}

// TestTheDailyReserveHolds: a campaign that would exhaust the quota stops
// at the reserve, and transactional mail still goes.
func TestTheDailyReserveHolds(t *testing.T) {
	clk := newClock()
	ses, api, calls := accountSES(t, clk, 1000, 100)
	c := accountClient(t, api, clk, newRefreshGate(clk))
	var sent int
	var qe *sesguard.QuotaExceededError
	for i := 0; ; i++ {
		in := simple(recipients(10)...)
		in.ListManagementOptions = &types.ListManagementOptions{ContactListName: aws.String("news")}
		_, err := c.Send(ctx, in)
		if err != nil {
			require.ErrorAs(t, err, &qe, "campaign send %d", i)
			break
		}
		sent += 10
	}
	assert.Equal(t, 90, sent, "the campaign stops at 90% of the quota")
	assert.ErrorIs(t, qe, sesguard.ErrQuotaExceeded)
	assert.Equal(t, int64(10), qe.Reserved)
	assert.Equal(t, int64(90), qe.Used)
	sends := calls.count("SendEmail")
	_, err := c.Send(ctx, simple(recipients(10)...))
	require.NoError(t, err, "a password reset uses the reserve")
	assert.Equal(t, sends+1, calls.count("SendEmail"))
	_, err = c.Send(ctx, simple("one-more@example.com"))
	require.ErrorIs(t, err, sesguard.ErrQuotaExceeded, "the reserve is spent too")
	assert.Equal(t, sends+1, calls.count("SendEmail"), "the refused sends never reached SES")
	assert.Zero(t, ses.Quota().QuotaRejections)

	q := c.Quota()
	assert.Equal(t, sesguard.QuotaFromAccount, q.Source)
	assert.Equal(t, int64(100), q.Max24HourSend)
	assert.Equal(t, int64(100), q.Used)
	assert.Equal(t, int64(10), q.DailyReserve)
}

func TestDailyReserveOption(t *testing.T) {
	for _, tt := range []struct {
		name    string
		reserve float64
		bulk    int // recipients a campaign may send of 100
	}{
		{"default 10%", 0, 90},
		{"25%", 0.25, 75},
		{"none", -1, 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, api := newSES(t)
			c := newClient(t, api, func(o *sesguard.Options) { o.DailyQuota, o.DailyReserve = 100, tt.reserve })
			for to := range slices.Chunk(recipients(tt.bulk), 50) {
				_, err := c.Send(bulkCtx, simple(to...))
				require.NoError(t, err)
			}
			_, err := c.Send(bulkCtx, simple("over@example.com"))
			require.ErrorIs(t, err, sesguard.ErrQuotaExceeded, "bulk past its share")
			_, err = c.Send(ctx, simple("reset@example.com"))
			if tt.bulk < 100 {
				assert.NoError(t, err, "transactional mail within the reserve")
			} else {
				assert.ErrorIs(t, err, sesguard.ErrQuotaExceeded, "no reserve")
			}
		})
	}
	_, api := newSES(t)
	_, err := sesguard.New(api, func(o *sesguard.Options) { o.DailyReserve = 1 })
	assert.Error(t, err, "a reserve of the whole quota")
}
