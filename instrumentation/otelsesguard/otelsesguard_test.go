package otelsesguard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/instrumentation/otelsesguard"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

func message(to ...string) *sesv2.SendEmailInput {
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: to},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Hello")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hi")}},
		}},
	}
}

// rig is a Client on sestest with the hooks on the real OTel SDK: a
// ManualReader for the metrics and a SpanRecorder for the spans, and the
// Client's SNS handler subscribed to the emulator's topic.
type rig struct {
	srv    *sestest.Server
	client *sesguard.Client
	sub    *sestest.Subscription
	web    *httptest.Server
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
}

func newRig(t *testing.T, opts ...otelsesguard.Option) *rig {
	t.Helper()
	r := &rig{reader: sdkmetric.NewManualReader()}
	r.start(t, r.reader, opts...)
	return r
}

// start starts the rig with its metrics read by reader.
func (r *rig) start(t *testing.T, reader sdkmetric.Reader, opts ...otelsesguard.Option) {
	t.Helper()
	r.spans = tracetest.NewSpanRecorder()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	hooks, err := otelsesguard.NewHooks(append([]otelsesguard.Option{
		otelsesguard.WithMeterProvider(mp), otelsesguard.WithTracerProvider(r.tp),
	}, opts...)...)
	require.NoError(t, err)

	r.srv = sestest.RunT(t, func(o *sestest.Options) {
		o.Account = sestest.Account{MaxSendRate: 1000, Max24HourSend: 10_000}
	})
	r.client, err = sesguard.New(r.srv.Client(sestest.NoRetries), func(o *sesguard.Options) {
		o.Hooks = hooks
		o.Store = memstore.New() // the breaker's counts go to the store too
		o.AccountQuota = true
	})
	require.NoError(t, err)
	t.Cleanup(func() { r.client.Close() })
	h, err := r.client.SNSHandler(func(o *sesguard.HandlerOptions) {
		o.SNS.HTTPClient = r.srv.SNSHTTPClient()
		o.SNS.TopicARNs = []string{r.srv.TopicARN()}
	})
	require.NoError(t, err)
	r.web = httptest.NewServer(h)
	t.Cleanup(r.web.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r.sub, err = r.srv.Subscribe(r.web.URL)
	require.NoError(t, err)
	require.NoError(t, r.sub.WaitConfirmed(ctx))
}

// script sends mail with every outcome and lets the emulator's
// notifications reach the webhook:
//
//   - success, bounce and complaint at the mailbox simulator: 3 sent, and
//     a Delivery (of two recipients), a Bounce and a Complaint notified;
//   - the bounced address again, an unreadable one and success: 1 sent, 1
//     suppressed (BOUNCE), 1 invalid, and a Delivery notified;
//   - the complained address alone: refused, 1 suppressed (COMPLAINT);
//   - mail for the list "newsletter" to an address unsubscribed from it:
//     refused, 1 suppressed (UNSUBSCRIBE, scope list);
//   - a bulk send of two entries that SES rejects: 2 failed
//     (MessageRejected);
//   - a GET of the webhook: 405.
func (r *rig) script(t *testing.T, ctx context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err := r.client.Send(ctx, message("success@simulator.amazonses.com", "bounce@simulator.amazonses.com", "complaint@simulator.amazonses.com"))
	require.NoError(t, err)
	require.NoError(t, r.sub.Wait(ctx, 3))
	_, err = r.client.Send(ctx, message("bounce@simulator.amazonses.com", "not an address", "success@simulator.amazonses.com"))
	require.NoError(t, err)
	require.NoError(t, r.sub.Wait(ctx, 4))
	_, err = r.client.Send(ctx, message("complaint@simulator.amazonses.com"))
	require.ErrorIs(t, err, sesguard.ErrSuppressed)
	_, _, err = r.client.Suppress(ctx, store.Suppression{Address: "reader@example.com", Scope: "newsletter", Reason: store.ReasonUnsubscribe})
	require.NoError(t, err)
	_, err = r.client.Send(sesguard.ForList(ctx, "newsletter"), message("reader@example.com"))
	require.ErrorIs(t, err, sesguard.ErrSuppressed)

	r.srv.SetFault(func(op string, _ []byte) *sestest.Fault {
		if op == "SendBulkEmail" {
			return &sestest.Fault{Status: 400, Code: "MessageRejected", Message: "Email address is not verified."}
		}
		return nil
	})
	_, err = r.client.SendBulkEmail(ctx, &sesv2.SendBulkEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		DefaultContent:   &types.BulkEmailContent{Template: &types.Template{TemplateName: aws.String("t")}},
		BulkEmailEntries: []types.BulkEmailEntry{
			{Destination: &types.Destination{ToAddresses: []string{"a@example.com"}}},
			{Destination: &types.Destination{ToAddresses: []string{"b@example.com"}}},
		},
	})
	var rejected *types.MessageRejected
	require.ErrorAs(t, err, &rejected)

	resp, err := http.Get(r.web.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	for _, d := range r.sub.Deliveries() {
		require.Equal(t, http.StatusOK, d.StatusCode, "%s %s", d.Type, d.MessageID)
	}
}

// collect reads every metric, by name.
func (r *rig) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(context.Background(), &rm))
	out := make(map[string]metricdata.Metrics)
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, otelsesguard.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// point is one data point: its attributes, written "k=v,k=v" in sorted
// order, and its value (the count, for a histogram).
type point struct {
	attrs string
	value float64
}

func points(t *testing.T, m metricdata.Metrics) []point {
	t.Helper()
	var out []point
	add := func(set attribute.Set, v float64) {
		var kv []string
		for _, a := range set.ToSlice() {
			kv = append(kv, string(a.Key)+"="+a.Value.String())
		}
		out = append(out, point{strings.Join(kv, ","), v})
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes, float64(p.Value))
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes, float64(p.Value))
		}
	case metricdata.Gauge[float64]:
		for _, p := range d.DataPoints {
			add(p.Attributes, p.Value)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			add(p.Attributes, float64(p.Count))
		}
	default:
		t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
	}
	slices.SortFunc(out, func(a, b point) int { return strings.Compare(a.attrs, b.attrs) })
	return out
}

// value returns the value of the point of m with attrs, failing when there
// is none.
func value(t *testing.T, m metricdata.Metrics, attrs string) float64 {
	t.Helper()
	ps := points(t, m)
	i := slices.IndexFunc(ps, func(p point) bool { return p.attrs == attrs })
	require.GreaterOrEqual(t, i, 0, "%s has no point %q; it has %v", m.Name, attrs, ps)
	return ps[i].value
}

func TestEveryInstrumentAfterAScriptedRun(t *testing.T) {
	r := newRig(t, otelsesguard.WithSendDuration())
	r.script(t, context.Background())
	ms := r.collect(t)

	rec := ms[otelsesguard.MetricRecipients]
	assert.Equal(t, []point{
		{"error.type=MessageRejected,sesguard.operation=SendBulkEmail,sesguard.outcome=failed", 2},
		{"sesguard.operation=SendEmail,sesguard.outcome=invalid,sesguard.reason=INVALID,sesguard.scope=all", 1},
		{"sesguard.operation=SendEmail,sesguard.outcome=sent", 4},
		{"sesguard.operation=SendEmail,sesguard.outcome=suppressed,sesguard.reason=BOUNCE,sesguard.scope=all", 1},
		{"sesguard.operation=SendEmail,sesguard.outcome=suppressed,sesguard.reason=COMPLAINT,sesguard.scope=all", 1},
		{"sesguard.operation=SendEmail,sesguard.outcome=suppressed,sesguard.reason=UNSUBSCRIBE,sesguard.scope=list", 1},
	}, points(t, rec))

	assert.Equal(t, []point{
		{"error.type=MessageRejected,sesguard.operation=SendBulkEmail", 1},
		{"error.type=suppressed,sesguard.operation=SendEmail", 2},
		{"sesguard.operation=SendEmail", 2},
	}, points(t, ms[otelsesguard.MetricSendDuration]))

	assert.Equal(t, []point{
		{"sesguard.decision=cleared,sesguard.notification.type=Delivery", 3},
		{"sesguard.decision=suppressed,sesguard.notification.type=Bounce", 1},
		{"sesguard.decision=suppressed,sesguard.notification.type=Complaint", 1},
	}, points(t, ms[otelsesguard.MetricDecisions]))

	assert.Equal(t, []point{
		{"sesguard.notification.type=Bounce", 1},
		{"sesguard.notification.type=Complaint", 1},
		{"sesguard.notification.type=Delivery", 2},
	}, points(t, ms[otelsesguard.MetricLag]))

	assert.Equal(t, []point{
		{"http.response.status_code=200", 5},
		{"http.response.status_code=405", 1},
	}, points(t, ms[otelsesguard.MetricWebhookRequests]))

	store := ms[otelsesguard.MetricStoreDuration]
	for _, op := range []string{"Lookup", "Put", "Applied", "MarkApplied", "InTx", "SumCounts", "ClearTransientBounces"} {
		assert.Positive(t, value(t, store, "db.operation.name="+op), op)
	}
	assert.Equal(t, 3.0, value(t, ms[otelsesguard.MetricLimiterWait], "sesguard.priority=transactional"), "one wait per send that reached the limiter")

	assert.Equal(t, []point{{"", 4}}, points(t, ms[otelsesguard.MetricQuotaUsed]))
	assert.Equal(t, []point{{"", 10_000}}, points(t, ms[otelsesguard.MetricQuotaLimit]))

	assert.Equal(t, []point{
		{"sesguard.breaker.state=closed", 1},
		{"sesguard.breaker.state=half-open", 0},
		{"sesguard.breaker.state=open", 0},
	}, points(t, ms[otelsesguard.MetricBreakerState]))
	assert.Equal(t, []point{
		{"sesguard.breaker.signal=bounce", 0.04},
		{"sesguard.breaker.signal=complaint", 0.0008},
	}, points(t, ms[otelsesguard.MetricBreakerThreshold]))
	rates := points(t, ms[otelsesguard.MetricBreakerRate])
	require.Len(t, rates, 2)
	assert.Equal(t, []point{{"", 200}}, points(t, ms[otelsesguard.MetricBreakerMinVolume]))
	volume := points(t, ms[otelsesguard.MetricBreakerVolume])
	require.Len(t, volume, 1)
	if volume[0].value > 0 {
		assert.Positive(t, rates[0].value, "a bounce was seen")
	}
}

func TestSpans(t *testing.T) {
	for _, addresses := range []bool{false, true} {
		name := "without addresses"
		var opts []otelsesguard.Option
		if addresses {
			name = "WithRecipientAddresses"
			opts = append(opts, otelsesguard.WithRecipientAddresses())
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t, opts...)
			ctx, caller := r.tp.Tracer("test").Start(context.Background(), "caller")
			r.script(t, ctx)
			caller.End()

			var sends, applies []sdktrace.ReadOnlySpan
			for _, s := range r.spans.Ended() {
				if s.Name() == "caller" {
					continue
				}
				switch s.Name() {
				case "sesguard SendEmail", "sesguard SendBulkEmail":
					sends = append(sends, s)
				case "sesguard Apply":
					applies = append(applies, s)
				}
				hasAddress := slices.ContainsFunc(s.Attributes(), func(kv attribute.KeyValue) bool {
					return strings.Contains(kv.Value.String(), "@")
				}) || strings.Contains(s.Status().Description, "@") || len(s.Events()) > 0
				assert.Equal(t, addresses, hasAddress, "%s: addresses on the span", s.Name())
			}

			require.Len(t, sends, 5)
			for _, s := range sends {
				assert.Equal(t, caller.SpanContext().SpanID(), s.Parent().SpanID(), "%s is a child of the caller's span", s.Name())
			}
			first := attrs(sends[0])
			assert.Equal(t, "3", first["sesguard.recipients"])
			assert.Equal(t, "3", first["sesguard.recipients.sent"])
			assert.Equal(t, "0", first["sesguard.recipients.skipped"])
			second := attrs(sends[1])
			assert.Equal(t, "3", second["sesguard.recipients"])
			assert.Equal(t, "1", second["sesguard.recipients.sent"])
			assert.Equal(t, "2", second["sesguard.recipients.skipped"])
			refused := sends[2]
			assert.Equal(t, "suppressed", attrs(refused)["error.type"])
			assert.Equal(t, codes.Error, refused.Status().Code)
			assert.Equal(t, "suppressed", attrs(sends[3])["error.type"], "mail for a list, to an unsubscribed reader")
			bulk := sends[4]
			assert.Equal(t, "sesguard SendBulkEmail", bulk.Name())
			assert.Equal(t, "MessageRejected", attrs(bulk)["error.type"])
			if addresses {
				assert.Equal(t, `["bounce@simulator.amazonses.com","not an address","success@simulator.amazonses.com"]`, second["sesguard.recipients.addresses"])
				assert.Equal(t, `["bounce@simulator.amazonses.com","not an address"]`, second["sesguard.skipped.addresses"])
			}

			require.Len(t, applies, 4, "one span per notification")
			types := map[string]int{}
			for _, s := range applies {
				a := attrs(s)
				types[a["sesguard.notification.type"]]++
				assert.NotEmpty(t, a["messaging.message.id"])
				assert.NotEmpty(t, a["sesguard.decisions"])
				assert.Equal(t, codes.Unset, s.Status().Code)
			}
			assert.Equal(t, map[string]int{"Bounce": 1, "Complaint": 1, "Delivery": 2}, types)
		})
	}
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	out := make(map[string]string)
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

// TestNoopProvidersLeaveTheHooksNil: with the no-op providers there is
// nothing to record, and the Client, given nil hooks, calls nothing.
func TestNoopProvidersLeaveTheHooksNil(t *testing.T) {
	hooks, err := otelsesguard.NewHooks(
		otelsesguard.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelsesguard.WithTracerProvider(tracenoop.NewTracerProvider()),
	)
	require.NoError(t, err)
	assert.Equal(t, reflect.ValueOf(hooks).NumField(), countNil(hooks), "every hook is nil")

	hooks, err = otelsesguard.NewHooks(otelsesguard.WithMeterProvider(metricnoop.NewMeterProvider()), otelsesguard.WithTracerProvider(sdktrace.NewTracerProvider()))
	require.NoError(t, err)
	assert.NotNil(t, hooks.Send, "spans need the send hook")
	assert.NotNil(t, hooks.Apply, "spans need the apply hook")
	assert.Nil(t, hooks.Store, "no metrics, no store timing")
}

// countNil counts the nil func fields of h.
func countNil(h sesguard.Hooks) int {
	v, n := reflect.ValueOf(h), 0
	for i := range v.NumField() {
		if v.Field(i).IsNil() {
			n++
		}
	}
	return n
}
