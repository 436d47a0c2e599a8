package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/examples/internal/exampledb"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
)

// invoke calls fn as the Lambda runtime does: the payload decoded into
// fn's event type, the response encoded as JSON.
func invoke(fn any, payload []byte) ([]byte, error) {
	return lambda.NewHandler(fn).Invoke(context.Background(), payload)
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snsEvent wraps SNS envelopes, as SNS posts them to HTTP endpoints, in a
// Lambda SNS event, with Lambda's spellings: SigningCertUrl, UnsubscribeUrl
// and "Subject": null when there is none.
func snsEvent(t *testing.T, envelopes ...[]byte) []byte {
	t.Helper()
	var records []map[string]any
	for _, e := range envelopes {
		var sns map[string]any
		if err := json.Unmarshal(e, &sns); err != nil {
			t.Fatal(err)
		}
		for http, lambda := range map[string]string{"SigningCertURL": "SigningCertUrl", "UnsubscribeURL": "UnsubscribeUrl"} {
			if v, ok := sns[http]; ok {
				sns[lambda] = v
				delete(sns, http)
			}
		}
		if _, ok := sns["Subject"]; !ok {
			sns["Subject"] = nil
		}
		records = append(records, map[string]any{
			"EventSource": "aws:sns", "EventVersion": "1.0",
			"EventSubscriptionArn": sns["TopicArn"].(string) + ":0b5c3a8e-9d1f-4c0b-8a43-1f2e3d4c5b6a",
			"Sns":                  sns,
		})
	}
	b, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sqsEvent builds an SQS event whose messages have the given ids and bodies.
func sqsEvent(t *testing.T, idBody ...string) []byte {
	t.Helper()
	var ev events.SQSEvent
	for i := 0; i < len(idBody); i += 2 {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: idBody[i], Body: idBody[i+1], EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:ses-notifications", AWSRegion: "us-east-1",
		})
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failing is a store whose writes fail while down is set, like a database
// that went away.
type failing struct {
	store.Store
	down atomic.Bool
}

func (f *failing) Put(ctx context.Context, s store.Suppression) (bool, error) {
	if f.down.Load() {
		return false, errors.New("connection refused")
	}
	return f.Store.Put(ctx, s)
}

// newHandler returns a handler over a new SQLite store, and the store.
func newHandler(t testing.TB) (*handler, *failing) {
	t.Helper()
	st, db, err := exampledb.Open(context.Background(), exampledb.SQLite(filepath.Join(t.TempDir(), "s.db")), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &failing{Store: st}
	client, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) { o.Store = f })
	if err != nil {
		t.Fatal(err)
	}
	return &handler{client: client, log: slog.New(slog.DiscardHandler)}, f
}

// suppressed returns the reason addr is suppressed for, or "".
func suppressed(t *testing.T, h *handler, addr string) store.Reason {
	t.Helper()
	in, err := h.client.Suppressions(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) == 0 {
		return ""
	}
	return in[0].Reason
}

func TestSNSEvents(t *testing.T) {
	tests := []struct {
		name    string
		event   func(t *testing.T) []byte
		want    map[string]store.Reason // address → reason after the invocation; "" not suppressed
		wantErr bool
	}{
		{"RealBounce", func(t *testing.T) []byte { return snsEvent(t, read(t, "django-ses-bounce-notification.json")) },
			map[string]store.Reason{"bounce@simulator.amazonses.com": store.ReasonBounce}, false},
		{"RealComplaint", func(t *testing.T) []byte { return snsEvent(t, read(t, "laravel2020-ses-complaint-notification.json")) },
			map[string]store.Reason{"complaint@simulator.amazonses.com": store.ReasonComplaint}, false},
		{"TwoRecords", func(t *testing.T) []byte {
			return snsEvent(t, read(t, "django-ses-bounce-notification.json"), read(t, "laravel2020-ses-complaint-notification.json"))
		}, map[string]store.Reason{"bounce@simulator.amazonses.com": store.ReasonBounce, "complaint@simulator.amazonses.com": store.ReasonComplaint}, false},
		// Someone else's message on the topic is not an error, or Lambda
		// would retry it for nothing.
		{"RealEventNotFromSES", func(t *testing.T) []byte { return read(t, "rustlambda2015-lambda-sns-event-crlf.json") }, nil, false},
		{"NotAnEvent", func(*testing.T) []byte { return []byte(`{"hello":"world"}`) }, nil, true},
		{"RecordWithoutEnvelope", func(*testing.T) []byte { return []byte(`{"Records":[{"EventSource":"aws:sns","Sns":{}}]}`) }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newHandler(t)
			out, err := invoke(h.handleSNS, tt.event(t))
			if (err != nil) != tt.wantErr {
				t.Fatalf("invoke: %v (response %s), want error %v", err, out, tt.wantErr)
			}
			for addr, want := range tt.want {
				if got := suppressed(t, h, addr); got != want {
					t.Errorf("%s: suppressed as %q, want %q", addr, got, want)
				}
			}
		})
	}
}

func TestSNSEventsFromTheEmulator(t *testing.T) {
	ses := sestest.RunT(t)
	h, _ := newHandler(t)
	sender, err := sesguard.New(ses.Client())
	if err != nil {
		t.Fatal(err)
	}
	to := []string{"success@simulator.amazonses.com", "bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com", "suppressionlist@simulator.amazonses.com"}
	if _, err := sender.Send(context.Background(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("app@example.com"),
		Destination:      &types.Destination{ToAddresses: to},
		Content:          &types.EmailContent{Simple: &types.Message{Subject: &types.Content{Data: aws.String("hi")}, Body: &types.Body{Text: &types.Content{Data: aws.String("hi")}}}},
	}); err != nil {
		t.Fatal(err)
	}
	ns := ses.Notifications()
	if len(ns) < 4 {
		t.Fatalf("the emulator published %d notifications", len(ns))
	}
	for _, n := range ns {
		// Lambda retries: each event twice, and a redelivery changes nothing.
		for range 2 {
			if _, err := invoke(h.handleSNS, n.LambdaEvent()); err != nil {
				t.Fatalf("%s %s: %v", n.Type, n.ID, err)
			}
		}
	}
	want := map[string]store.Reason{to[0]: "", to[1]: store.ReasonBounce, to[2]: store.ReasonComplaint, to[3]: store.ReasonBounce}
	for addr, reason := range want {
		if got := suppressed(t, h, addr); got != reason {
			t.Errorf("%s: suppressed as %q, want %q", addr, got, reason)
		}
	}
}

func TestSNSStoreFailureFailsTheInvocation(t *testing.T) {
	h, st := newHandler(t)
	event := snsEvent(t, read(t, "django-ses-bounce-notification.json"))
	st.down.Store(true)
	if _, err := invoke(h.handleSNS, event); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("invoke with the store down: %v, want the store's error", err)
	}
	if got := suppressed(t, h, "bounce@simulator.amazonses.com"); got != "" {
		t.Fatalf("suppressed as %q while the store was down", got)
	}
	// Lambda's retry, once the store is back, applies it.
	st.down.Store(false)
	if _, err := invoke(h.handleSNS, event); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := suppressed(t, h, "bounce@simulator.amazonses.com"); got != store.ReasonBounce {
		t.Errorf("after the retry suppressed as %q, want BOUNCE", got)
	}
}

// failures decodes a handleSQS response.
func failures(t *testing.T, out []byte) []string {
	t.Helper()
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestSQSBatchReportsOnlyTheFailedMessages(t *testing.T) {
	h, _ := newHandler(t)
	out, err := invoke(h.handleSQS, sqsEvent(t,
		"m-enveloped", string(read(t, "django-ses-bounce-notification.json")),
		"m-raw", string(read(t, "event-bounce.json")),
		"m-garbage", "hello, world",
		"m-complaint", string(read(t, "laravel2020-ses-complaint-notification.json")),
		"m-truncated", `{"notificationType":"Bounce","bounce":{`,
	))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if got := failures(t, out); strings.Join(got, " ") != "m-garbage m-truncated" {
		t.Errorf("batchItemFailures %v, want the unreadable messages m-garbage and m-truncated", got)
	}
	for addr, want := range map[string]store.Reason{
		"bounce@simulator.amazonses.com":    store.ReasonBounce,
		"recipient@example.com":             store.ReasonBounce,
		"complaint@simulator.amazonses.com": store.ReasonComplaint,
	} {
		if got := suppressed(t, h, addr); got != want {
			t.Errorf("%s: suppressed as %q, want %q", addr, got, want)
		}
	}
}

func TestSQSEventsNotFromSES(t *testing.T) {
	h, _ := newHandler(t)
	out, err := invoke(h.handleSQS, read(t, "xrepo-7ff53-ap-northeast-1-sqs-lambda-event.json"))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if got := failures(t, out); len(got) != 0 {
		t.Errorf("batchItemFailures %v for a message that is not an SES notification, want none: it would be retried for nothing", got)
	}
}

func TestSQSStoreFailureReturnsTheMessage(t *testing.T) {
	h, st := newHandler(t)
	event := sqsEvent(t, "m-bounce", string(read(t, "django-ses-bounce-notification.json")))
	st.down.Store(true)
	out, err := invoke(h.handleSQS, event)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if got := failures(t, out); strings.Join(got, " ") != "m-bounce" {
		t.Fatalf("batchItemFailures %v with the store down, want m-bounce", got)
	}
	// SQS delivers it again once it is visible; the store is back.
	st.down.Store(false)
	if out, err = invoke(h.handleSQS, event); err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); len(got) != 0 {
		t.Errorf("batchItemFailures %v on redelivery, want none", got)
	}
	if got := suppressed(t, h, "bounce@simulator.amazonses.com"); got != store.ReasonBounce {
		t.Errorf("suppressed as %q after redelivery, want BOUNCE", got)
	}
}
