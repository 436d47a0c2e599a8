package sesguard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// TestEndToEndSuppression runs the whole loop on loopback with the SES
// emulator: a send through the real SDK client to the mailbox simulator,
// SES's notification signed and posted by the emulator's SNS to the
// handler, the handler verifying and applying it, and the next send
// refused.
func TestEndToEndSuppression(t *testing.T) {
	tests := []struct {
		name   string
		sigV   string
		source bool // hand the emulator to the verifier as its certificate source
		addr   string
		n      int // notifications the send produces
		reason store.Reason
	}{
		{"bounce, certificate fetched over HTTPS, SignatureVersion 1", "1", false, "bounce@simulator.amazonses.com", 1, store.ReasonBounce},
		{"bounce, emulator as certificate source, SignatureVersion 2", "2", true, "bounce+label@simulator.amazonses.com", 1, store.ReasonBounce},
		{"complaint", "2", false, "complaint@simulator.amazonses.com", 2, store.ReasonComplaint},
		{"suppression list", "1", false, "suppressionlist@simulator.amazonses.com", 1, store.ReasonBounce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			srv := sestest.RunT(t, func(o *sestest.Options) { o.SignatureVersion = tt.sigV })
			client, err := sesguard.New(srv.Client(), func(o *sesguard.Options) { o.Store = memstore.New() })
			if err != nil {
				t.Fatal(err)
			}
			web := httptest.NewServer(snsHandler(t, client, func(o *sesguard.HandlerOptions) {
				o.SNS.HTTPClient = srv.SNSHTTPClient()
				o.SNS.TopicARNs = []string{srv.TopicARN()}
				if tt.source {
					o.SNS.CertificateSource = srv
				}
			}))
			defer web.Close()
			sub, err := srv.Subscribe(web.URL)
			if err != nil {
				t.Fatal(err)
			}
			if err := sub.WaitConfirmed(ctx); err != nil {
				t.Fatalf("the handler did not confirm the subscription: %v", err)
			}

			if _, err := client.Send(ctx, simple(tt.addr)); err != nil {
				t.Fatalf("first send: %v", err)
			}
			if err := sub.Wait(ctx, tt.n); err != nil {
				t.Fatal(err)
			}
			for _, d := range sub.Deliveries() {
				if d.StatusCode != 200 {
					t.Fatalf("%s %s answered %d (%v)", d.Type, d.MessageID, d.StatusCode, d.Err)
				}
			}
			s, ok, err := sesguard.Suppressed(ctx, client, tt.addr)
			if err != nil || !ok || s.Reason != tt.reason {
				t.Fatalf("after the notification: suppressed %v %+v %v, want %s", ok, s, err, tt.reason)
			}
			sent := len(srv.Messages())
			_, err = client.Send(ctx, simple(tt.addr))
			if !errors.Is(err, sesguard.ErrSuppressed) {
				t.Fatalf("second send: %v, want ErrSuppressed", err)
			}
			if len(srv.Messages()) != sent {
				t.Fatal("the second send reached SES")
			}
		})
	}
}

// TestEndToEndSoftBounces sends to a mailbox that soft-bounces through a
// configuration set, so SES reports each bounce twice, as an identity
// notification and as a configuration set event. Each bounce must count
// once: the third suppresses, not the second.
func TestEndToEndSoftBounces(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const addr = "full@example.com"
	srv := sestest.RunT(t, func(o *sestest.Options) {
		o.Mailboxes = map[string]sestest.Outcome{addr: sestest.OutcomeMailboxFull}
		o.ConfigurationSets = []string{"tracking"}
	})
	var counts []int
	client, err := sesguard.New(srv.Client(), func(o *sesguard.Options) {
		o.Policy.OnDecision = func(_ context.Context, d sesguard.Decision) {
			if d.Action == sesguard.ActionCounted || d.Action == sesguard.ActionSuppressed {
				counts = append(counts, d.Count)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(snsHandler(t, client, func(o *sesguard.HandlerOptions) {
		o.SNS.HTTPClient = srv.SNSHTTPClient()
		o.SNS.TopicARNs = []string{srv.TopicARN()}
	}))
	defer web.Close()
	sub, err := srv.Subscribe(web.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, ok, _ := sesguard.Suppressed(ctx, client, addr); ok {
			t.Fatalf("suppressed after %d soft bounces", i)
		}
		in := simple(addr)
		in.ConfigurationSetName = aws.String("tracking")
		if _, err := client.Send(ctx, in); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
		if err := sub.Wait(ctx, len(srv.Notifications())); err != nil {
			t.Fatal(err)
		}
	}
	s, ok, err := sesguard.Suppressed(ctx, client, addr)
	if err != nil || !ok || s.Reason != store.ReasonSoftBounce || s.ExpiresAt.IsZero() {
		t.Fatalf("after three soft bounces: %v %+v %v", ok, s, err)
	}
	if want := []int{1, 2, 3}; !slices.Equal(counts, want) {
		t.Fatalf("counts %v, want %v: each bounce reported twice must count once", counts, want)
	}
}

// TestEndToEndRawDelivery subscribes with raw message delivery: the
// handler refuses the unsigned notifications unless allowed to take them.
func TestEndToEndRawDelivery(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("AllowRawDelivery=%v", allow), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			srv := sestest.RunT(t)
			client, err := sesguard.New(srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			web := httptest.NewServer(snsHandler(t, client, func(o *sesguard.HandlerOptions) {
				o.SNS.HTTPClient = srv.SNSHTTPClient()
				o.SNS.TopicARNs = []string{srv.TopicARN()}
				o.AllowRawDelivery = allow
			}))
			defer web.Close()
			sub, err := srv.Subscribe(web.URL, func(o *sestest.SubscribeOptions) { o.RawMessageDelivery = true })
			if err != nil {
				t.Fatal(err)
			}
			if err := sub.WaitConfirmed(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := client.Send(ctx, simple("bounce@simulator.amazonses.com")); err != nil {
				t.Fatal(err)
			}
			if err := sub.Wait(ctx, 1); err != nil {
				t.Fatal(err)
			}
			ds := sub.Deliveries()
			last := ds[len(ds)-1]
			_, ok, err := sesguard.Suppressed(ctx, client, "bounce@simulator.amazonses.com")
			if err != nil {
				t.Fatal(err)
			}
			want := 403
			if allow {
				want = 200
			}
			if last.StatusCode != want || ok != allow {
				t.Fatalf("raw notification answered %d, suppressed %v; want %d, %v", last.StatusCode, ok, want, allow)
			}
		})
	}
}

// TestEndToEndBreaker sends 20 recipients, one of which hard-bounces: the
// bounce reaches the breaker through the SNS handler, 5% is over its 4%
// threshold, and sending stops.
func TestEndToEndBreaker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := sestest.RunT(t, func(o *sestest.Options) { o.Account.MaxSendRate = 1000 })
	clk := newClock()
	client, err := sesguard.New(srv.Client(), func(o *sesguard.Options) {
		o.Now = clk.Now
		o.Breaker.MinVolume = 20
	})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(snsHandler(t, client, func(o *sesguard.HandlerOptions) {
		o.SNS.HTTPClient = srv.SNSHTTPClient()
		o.SNS.TopicARNs = []string{srv.TopicARN()}
		// The emulator stamps messages by the wall clock, not the
		// Client's test clock.
		o.SNS.Now = time.Now
	}))
	defer web.Close()
	sub, err := srv.Subscribe(web.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.WaitConfirmed(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 19 {
		if _, err := client.Send(ctx, simple(fmt.Sprintf("success+%d@simulator.amazonses.com", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Send(ctx, simple("bounce@simulator.amazonses.com")); err != nil {
		t.Fatal(err)
	}
	if err := sub.Wait(ctx, len(srv.Notifications())); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second) // the next refresh counts the 20 recipients sent
	_, err = client.Send(ctx, simple("success@simulator.amazonses.com"))
	if !errors.Is(err, sesguard.ErrBreakerOpen) {
		t.Fatalf("send after a 5%% bounce rate: %v, want ErrBreakerOpen", err)
	}
	if st := client.Breaker(); st.Bounced != 1 || st.Sent != 20 {
		t.Fatalf("breaker saw %d sent, %d bounced; want 20, 1", st.Sent, st.Bounced)
	}
}

// snsHandler returns client's SNS handler, built with optFns.
func snsHandler(t testing.TB, client *sesguard.Client, optFns ...func(*sesguard.HandlerOptions)) http.Handler {
	t.Helper()
	h, err := client.SNSHandler(optFns...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
