package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/internal/testclock"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// bounceOf parses an SES bounce notification of bounceType for addr,
// bounced now; a redelivery is the same notification again.
func bounceOf(t *testing.T, feedbackID, bounceType, addr string) *sesguard.Notification {
	t.Helper()
	ns, err := sesguard.Parse(fmt.Appendf(nil, `{"notificationType":"Bounce","bounce":{"bounceType":%q,"bounceSubType":"General","feedbackId":%q,"timestamp":%q,"bouncedRecipients":[{"emailAddress":%q}]},"mail":{"messageId":"m"}}`,
		bounceType, feedbackID, time.Now().UTC().Format(time.RFC3339Nano), addr))
	require.NoError(t, err)
	return ns[0]
}

// TestApplySharedSQLStore runs two Clients, as two processes would, on one
// SQL store and applies notifications through both at once: a duplicate
// is counted once, and transient bounces are counted once each, across
// the two.
func TestApplySharedSQLStore(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := newStore(t, be.open(t))
			var clients []*sesguard.Client
			for range 2 {
				c, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) { o.Store = st })
				require.NoError(t, err)
				t.Cleanup(func() { assert.NoError(t, c.Close()) })
				clients = append(clients, c)
			}
			apply := func(ns ...*sesguard.Notification) {
				var wg sync.WaitGroup
				for i, n := range ns {
					wg.Go(func() {
						_, err := clients[i%2].Apply(ctx, n)
						assert.NoError(t, err)
					})
				}
				wg.Wait()
			}
			bounced := func() int64 {
				now := time.Now()
				n, err := st.SumCounts(ctx, "sesguard:breaker:bounced", now.Add(-time.Hour), now.Add(time.Hour))
				require.NoError(t, err)
				return n
			}
			reasons := func(addr string) []store.Reason {
				got, err := clients[1].Suppressions(ctx, addr)
				require.NoError(t, err)
				var rs []store.Reason
				for _, s := range got {
					rs = append(rs, s.Reason)
				}
				return rs
			}

			hard := bounceOf(t, "hard-1", "Permanent", "gone@example.com")
			apply(hard, hard, hard, hard, hard, hard)
			assert.Equal(t, []store.Reason{store.ReasonBounce}, reasons("gone@example.com"))
			assert.EqualValues(t, 1, bounced(), "one bounce delivered six times")

			soft1, soft2, soft3 := bounceOf(t, "soft-1", "Transient", "full@example.com"),
				bounceOf(t, "soft-2", "Transient", "full@example.com"), bounceOf(t, "soft-3", "Transient", "full@example.com")
			apply(soft1, soft2, soft1, soft2)
			assert.Empty(t, reasons("full@example.com"), "two soft bounces, each delivered twice")
			apply(soft3, soft3)
			assert.Equal(t, []store.Reason{store.ReasonSoftBounce}, reasons("full@example.com"), "after the third soft bounce")
		})
	}
}

// TestBreakerSharesCountsThroughSQL runs a webhook process and a sending
// process, each with its own database handle and Store on the same tables:
// the sender's breaker opens on the bounces the webhook applied and closes
// on the webhook's reset.
func TestBreakerSharesCountsThroughSQL(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			dsn := be.dsn(t, t.TempDir())
			db1, err := be.connect(dsn)
			require.NoError(t, err)
			t.Cleanup(func() { db1.Close() })
			db2, err := be.connect(dsn)
			require.NoError(t, err)
			t.Cleanup(func() { db2.Close() })
			p := prefix(t)
			webhookStore := newStore(t, db1, func(o *sqlstore.Options) { o.TablePrefix = p })
			senderStore, err := sqlstore.New(context.Background(), db2, func(o *sqlstore.Options) { o.TablePrefix = p })
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, senderStore.Close()) })

			clk := testclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			srv := sestest.RunT(t, func(o *sestest.Options) {
				o.Account = sestest.Account{MaxSendRate: 1e6, Max24HourSend: -1}
				o.Now = clk.Now
			})
			api := srv.Client(sestest.NoRetries)
			client := func(st store.Store) *sesguard.Client {
				c, err := sesguard.New(api, func(o *sesguard.Options) {
					o.Store, o.Now, o.Sleep = st, clk.Now, clk.Sleep
				})
				require.NoError(t, err)
				t.Cleanup(func() { assert.NoError(t, c.Close()) })
				return c
			}
			webhook, sender := client(webhookStore), client(senderStore)
			send := func(n int) error {
				to := make([]string, n)
				for i := range to {
					to[i] = fmt.Sprintf("r%d@example.com", i)
				}
				for chunk := range slices.Chunk(to, 50) {
					if _, err := sender.Send(context.Background(), sendload.Simple(chunk...)); err != nil {
						return err
					}
				}
				return nil
			}
			require.NoError(t, send(200))
			clk.Advance(10 * time.Second)
			require.NoError(t, send(1)) // writes the 200 to the database
			for i := range 9 {
				n := bounceOf(t, fmt.Sprintf("fb-%d", i), "Permanent", fmt.Sprintf("b%d@example.com", i))
				_, err := webhook.Apply(context.Background(), n)
				require.NoError(t, err)
			}
			require.Equal(t, sesguard.BreakerOpen, webhook.Breaker().State, "the webhook's breaker after 9 bounces in 201")
			clk.Advance(10 * time.Second)
			var open *sesguard.BreakerOpenError
			err = send(1)
			require.ErrorAs(t, err, &open, "the sender's breaker")
			assert.EqualValues(t, 9, open.Count)
			assert.EqualValues(t, 201, open.Volume)
			require.NoError(t, webhook.ResetBreaker(context.Background()))
			clk.Advance(10 * time.Second)
			require.NoError(t, send(1), "the sender did not see the webhook's reset")
		})
	}
}
