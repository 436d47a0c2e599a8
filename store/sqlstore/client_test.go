package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/internal/testclock"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// bounceOf parses an SES bounce notification of bounceType for addr.
func bounceOf(t *testing.T, feedbackID, bounceType, addr string) *sesguard.Notification {
	t.Helper()
	ns, err := sesguard.Parse(fmt.Appendf(nil, `{"notificationType":"Bounce","bounce":{"bounceType":%q,"bounceSubType":"General","feedbackId":%q,"bouncedRecipients":[{"emailAddress":%q}]},"mail":{"messageId":"m"}}`,
		bounceType, feedbackID, addr))
	if err != nil {
		t.Fatal(err)
	}
	return ns[0]
}

// TestApplySharedSQLStore runs two Clients, as two processes would, on one
// SQL store and applies notifications through both at once: a duplicate
// is applied once, and transient bounces are counted once each, across
// the two.
func TestApplySharedSQLStore(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := newStore(t, be.open(t))
			var suppressed, counted atomic.Int32
			hook := func(_ context.Context, d sesguard.Decision) {
				switch d.Action {
				case sesguard.ActionSuppressed:
					suppressed.Add(1)
				case sesguard.ActionCounted:
					counted.Add(1)
				}
			}
			var clients []*sesguard.Client
			for range 2 {
				c, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) {
					o.Store = st
					o.Policy.OnDecision = hook
				})
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			apply := func(ns ...*sesguard.Notification) {
				var wg sync.WaitGroup
				for i, n := range ns {
					wg.Go(func() {
						if _, err := clients[i%2].Apply(context.Background(), n); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
			}

			hard := bounceOf(t, "hard-1", "Permanent", "gone@example.com")
			apply(hard, hard, hard, hard, hard, hard)
			if got := suppressed.Load(); got != 1 {
				t.Fatalf("%d suppress decisions for one bounce delivered six times, want 1", got)
			}

			suppressed.Store(0)
			soft1, soft2, soft3 := bounceOf(t, "soft-1", "Transient", "full@example.com"),
				bounceOf(t, "soft-2", "Transient", "full@example.com"), bounceOf(t, "soft-3", "Transient", "full@example.com")
			apply(soft1, soft2, soft1, soft2)
			if got := counted.Load(); got != 2 || suppressed.Load() != 0 {
				t.Fatalf("two soft bounces, each delivered twice: %d counted, %d suppressed; want 2, 0", got, suppressed.Load())
			}
			apply(soft3, soft3)
			s, ok, err := clients[1].Suppressed(context.Background(), "full@example.com")
			if err != nil || !ok || s.Reason != store.ReasonSoftBounce {
				t.Fatalf("after the third soft bounce: %v %+v %v", ok, s, err)
			}
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
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db1.Close() })
			db2, err := be.connect(dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db2.Close() })
			p := prefix(t)
			webhookStore := newStore(t, db1, func(o *sqlstore.Options) { o.TablePrefix = p })
			senderStore, err := sqlstore.New(context.Background(), db2, func(o *sqlstore.Options) { o.TablePrefix = p })
			if err != nil {
				t.Fatal(err)
			}

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
				if err != nil {
					t.Fatal(err)
				}
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
			if err := send(200); err != nil {
				t.Fatal(err)
			}
			clk.Advance(10 * time.Second)
			if err := send(1); err != nil { // writes the 200 to the database
				t.Fatal(err)
			}
			for i := range 9 {
				n := bounceOf(t, fmt.Sprintf("fb-%d", i), "Permanent", fmt.Sprintf("b%d@example.com", i))
				if _, err := webhook.Apply(context.Background(), n); err != nil {
					t.Fatal(err)
				}
			}
			if got := webhook.Breaker().State; got != sesguard.BreakerOpen {
				t.Fatalf("the webhook's breaker is %v after 9 bounces in 201, want open", got)
			}
			clk.Advance(10 * time.Second)
			var open *sesguard.BreakerOpenError
			if err := send(1); !errors.As(err, &open) || open.Count != 9 || open.Volume != 201 {
				t.Fatalf("the sender's breaker: %v, want it open on 9 bounces in 201", err)
			}
			if err := webhook.ResetBreaker(context.Background()); err != nil {
				t.Fatal(err)
			}
			clk.Advance(10 * time.Second)
			if err := send(1); err != nil {
				t.Fatalf("the sender did not see the webhook's reset: %v", err)
			}
		})
	}
}
