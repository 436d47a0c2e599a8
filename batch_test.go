package sesguard_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/faultstore"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

func permanentBounce(t *testing.T, id, addr string) *sesguard.Notification {
	t.Helper()
	ns, err := sesguard.Parse(fmt.Appendf(nil, `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","feedbackId":%q,"bouncedRecipients":[{"emailAddress":%q}]},"mail":{"messageId":"m-%s"}}`, id, addr, id))
	require.NoError(t, err)
	return ns[0]
}

func suppressedAddrs(t *testing.T, c *sesguard.Client, addrs ...string) []string {
	t.Helper()
	got := []string{}
	for _, a := range addrs {
		in, err := c.Suppressions(ctx, a)
		require.NoError(t, err)
		if len(in) > 0 {
			got = append(got, a)
		}
	}
	return got
}

// TestApplyBatch applies three bounces whose second fails to be written:
// with a Transactor none is applied; without one the first is, and the
// decisions say so.
func TestApplyBatch(t *testing.T) {
	addrs := []string{"a@example.com", "b@example.com", "c@example.com"}
	for _, tt := range []struct {
		name    string
		inner   store.Store
		failAt  string // the call that fails
		applied int
	}{
		{"Transactor", memstore.New(), "tx.Put", 0},
		{"NoTransactor", faultstore.WithoutTransactor(memstore.New()), "Put", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, ctl := faultstore.New(tt.inner)
			_, api := newSES(t)
			c := newClient(t, api, func(o *sesguard.Options) { o.Store = s })
			batch := []*sesguard.Notification{permanentBounce(t, "f1", addrs[0]), permanentBounce(t, "f2", addrs[1]), permanentBounce(t, "f3", addrs[2])}

			// The batch writes one suppression per notification; the
			// second write fails.
			ctl.InjectNth(tt.failAt, 2, faultstore.Fail)

			ds, err := c.ApplyBatch(ctx, batch)
			require.ErrorIs(t, err, sesguard.ErrStoreUnavailable)
			require.ErrorIs(t, err, faultstore.ErrInjected)
			require.Len(t, ds, tt.applied)
			assert.Equal(t, addrs[:tt.applied], suppressedAddrs(t, c, addrs...))

			ds, err = c.ApplyBatch(ctx, batch)
			require.NoError(t, err)
			require.Len(t, ds, 3)
			for i, d := range ds {
				want := sesguard.ActionSuppressed
				if i < tt.applied {
					want = sesguard.ActionDuplicate
				}
				assert.Equal(t, want, d[0].Action, "notification %d redelivered", i)
			}
			assert.Equal(t, addrs, suppressedAddrs(t, c, addrs...))
		})
	}
}

// TestApplyConcurrentRedeliveriesCountOnce applies one complaint from 16
// goroutines at once, as SNS retries racing each other: the breaker counts
// it once.
func TestApplyConcurrentRedeliveriesCountOnce(t *testing.T) {
	for _, inner := range []store.Store{memstore.New(), faultstore.WithoutTransactor(memstore.New())} {
		_, api := newSES(t)
		c := newClient(t, api, func(o *sesguard.Options) { o.Store = inner })
		ns, err := sesguard.Parse([]byte(`{"eventType":"Complaint","complaint":{"feedbackId":"c-race","complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":"x@example.com"}]},"mail":{"messageId":"m"}}`))
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				_, err := c.Apply(ctx, ns[0])
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		n, err := inner.(store.Counter).SumCounts(ctx, "sesguard:breaker:complained", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, int64(1), n, "%T: one complaint applied 16 times at once", inner)
	}
}

// TestHousekeeping checks the periodic purge: the first is due
// PurgeEvery after New by the Client's clock, and a send that finds it due
// starts it in the background; the next waits PurgeEvery again; Close
// stops it.
func TestHousekeeping(t *testing.T) {
	clk := newClock()
	_, api := newSES(t)
	ms := memstore.New()
	logs := &lockedBuffer{}
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Store = ms
		o.Now = clk.Now
		o.PurgeEvery = time.Hour
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	expiring := func(addr string) {
		t.Helper()
		_, _, err := c.Suppress(ctx, store.Suppression{Address: addr, Reason: store.ReasonInvalid, ExpiresAt: clk.Now().Add(time.Second)})
		require.NoError(t, err)
	}
	send := func() {
		t.Helper()
		_, err := c.Send(ctx, simple("a@example.com"))
		require.NoError(t, err)
	}
	expiring("soon@example.com")
	clk.Advance(30 * time.Minute)
	send()
	assert.Equal(t, 1, ms.Len(), "purged before PurgeEvery passed since New")

	clk.Advance(30 * time.Minute)
	send()
	require.Eventually(t, func() bool { return ms.Len() == 0 }, 10*time.Second, time.Millisecond, "the due purge never ran")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "expired entries purged") }, 10*time.Second, time.Millisecond, "the purge was not logged")

	expiring("later@example.com")
	clk.Advance(2 * time.Second)
	send()
	assert.Equal(t, 1, ms.Len(), "purged again before PurgeEvery passed")

	require.NoError(t, c.Close())
	clk.Advance(2 * time.Hour)
	send()
	assert.Equal(t, 1, ms.Len(), "purged after Close")
}

func TestPurgeEveryNegativeNeverPurges(t *testing.T) {
	clk := newClock()
	_, api := newSES(t)
	ms := memstore.New()
	c := newClient(t, api, func(o *sesguard.Options) { o.Store = ms; o.Now = clk.Now; o.PurgeEvery = -1 })
	_, _, err := c.Suppress(ctx, store.Suppression{Address: "soon@example.com", ExpiresAt: clk.Now().Add(time.Minute)})
	require.NoError(t, err)
	clk.Advance(time.Hour)
	_, err = c.Send(ctx, simple("a@example.com"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	assert.Equal(t, 1, ms.Len(), "purged although PurgeEvery is negative")
	// An operator's Purge still works.
	n, err := c.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 0, ms.Len())
}

// lockedBuffer is a bytes.Buffer safe for the Client's background logs and
// the test's reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
