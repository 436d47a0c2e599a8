package otelsesguard

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
)

// The attributes of sesguard's metrics and spans, beside those of the
// semantic conventions (error.type, db.operation.name,
// http.response.status_code, messaging.message.id).
const (
	// AttrOperation is the send operation: "SendEmail" or "SendBulkEmail".
	AttrOperation = attribute.Key("sesguard.operation")
	// AttrOutcome is what became of recipients: "sent", "suppressed"
	// (a stored suppression), "invalid" (a check's veto or an unreadable
	// address) or "failed" (left unsent by an error, named by error.type).
	AttrOutcome = attribute.Key("sesguard.outcome")
	// AttrReason is the store.Reason of a skipped recipient: "BOUNCE",
	// "COMPLAINT", "UNSUBSCRIBE", "INVALID", ...
	AttrReason = attribute.Key("sesguard.reason")
	// AttrScope is the scope of the suppression that skipped a recipient:
	// "all" (store.ScopeAll: bounces, complaints, manual) or "list" (an
	// unsubscribe from the list the mail was sent for). The list's name is
	// not an attribute: there may be many.
	AttrScope = attribute.Key("sesguard.scope")
	// AttrNotificationType is the SES event type: "Bounce", "Complaint",
	// "Delivery", ...
	AttrNotificationType = attribute.Key("sesguard.notification.type")
	// AttrDecision is what the policy did with a record: "suppressed",
	// "counted", "cleared", "ignored" or "duplicate".
	AttrDecision = attribute.Key("sesguard.decision")
	// AttrBreakerState is a state of the reputation breaker: "closed",
	// "open" or "half-open".
	AttrBreakerState = attribute.Key("sesguard.breaker.state")
	// AttrSignal is what a breaker rate counts: "bounce" or "complaint".
	AttrSignal = attribute.Key("sesguard.breaker.signal")
	// AttrPriority is the priority of a send at the limiter:
	// "transactional" or "bulk" (see sesguard.Priority).
	AttrPriority = attribute.Key("sesguard.priority")

	// Span attributes.
	AttrRecipients         = attribute.Key("sesguard.recipients")           // recipients of the message
	AttrRecipientsSent     = attribute.Key("sesguard.recipients.sent")      // of them, accepted by SES
	AttrRecipientsSkipped  = attribute.Key("sesguard.recipients.skipped")   // distinct addresses refused
	AttrRecipientAddresses = attribute.Key("sesguard.recipients.addresses") // WithRecipientAddresses only
	AttrSkippedAddresses   = attribute.Key("sesguard.skipped.addresses")    // WithRecipientAddresses only
	AttrDecisions          = attribute.Key("sesguard.decisions")            // records a notification was applied to
	AttrDecisionAddresses  = attribute.Key("sesguard.decisions.addresses")  // WithRecipientAddresses only
)

// NewHooks returns sesguard.Hooks that record sesguard's metrics and
// spans through OpenTelemetry:
//
//	hooks, err := otelsesguard.NewHooks(otelsesguard.WithMeterProvider(mp))
//	if err != nil { … }
//	client, err := sesguard.New(api, func(o *sesguard.Options) { o.Hooks = hooks })
//
// Give each Client its own Hooks: the gauges report the state of one
// Client (its 24-hour quota, its breaker). The package documentation lists
// the metrics and spans. With the no-op providers (packages
// go.opentelemetry.io/otel/metric/noop and trace/noop) the hooks that
// would only feed them are left nil, so that they cost nothing.
func NewHooks(opts ...Option) (sesguard.Hooks, error) {
	cfg := newConfig(opts)
	_, noMetrics := cfg.meters.(metricnoop.MeterProvider)
	_, noTraces := cfg.tracers.(tracenoop.TracerProvider)
	if noMetrics && noTraces {
		return sesguard.Hooks{}, nil
	}
	h := &hooks{addresses: cfg.addresses}
	h.prepare()
	if !noTraces {
		h.tracer = cfg.tracers.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	}
	h.sends.New = func() any {
		st := &sendState{h: h}
		st.doneFunc = st.done
		return st
	}
	if err := h.instruments(cfg.meters.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL)), cfg.sendDuration); err != nil {
		return sesguard.Hooks{}, err
	}
	hs := sesguard.Hooks{Send: h.send, Apply: h.apply}
	if !noMetrics {
		hs.Webhook, hs.Store, hs.LimiterWait, hs.Quota, hs.Breaker = h.webhook, h.store, h.limiterWait, h.quota, h.breaker
	}
	return hs, nil
}

type hooks struct {
	addresses bool
	tracer    trace.Tracer // nil with the no-op TracerProvider

	recipients    metric.Int64ObservableCounter
	sendDuration  metric.Float64Histogram // nil without WithSendDuration
	decisions     metric.Int64Counter
	lag           metric.Float64Histogram
	webhooks      metric.Int64Counter
	storeDuration metric.Float64Histogram
	waitDuration  metric.Float64Histogram

	// The attribute sets of the measurements, made once each: those of
	// every send and store call at NewHooks, the others when first used,
	// in a map that is copied on write so that reading takes no lock.
	email, bulk measures
	storeOK     map[string]measure // by store method, without error
	cacheMu     sync.Mutex         // serialises writers of cache and counts
	cache       atomic.Pointer[map[attrKey]measure]

	// The recipients counted so far, by attributes, reported by the
	// gauges' callback: an atomic add costs a send much less than the
	// SDK's Add.
	counts atomic.Pointer[map[attrKey]*atomic.Int64]

	sends sync.Pool // *sendState

	// The state the gauges observe.
	quotaSeen        atomic.Bool
	quotaUsed, limit atomic.Int64
	mu               sync.Mutex
	breakerSeen      bool
	breakerStatus    sesguard.BreakerStatus
}

// attrKey names a set of attributes of one measurement.
type attrKey struct {
	kind    uint8
	a, b, c string
	n       int
}

// The kinds of attrKey.
const (
	kindRecipients uint8 = iota // a: operation, b: outcome, c: reason or error type, n: 1 for a list's scope
	kindSend                    // a: operation, b: error type
	kindDecision                // a: notification type, b: decision
	kindLag                     // a: notification type
	kindWebhook                 // n: status
	kindStore                   // a: operation, b: error type
	kindLimiter                 // a: priority, b: error type
)

// measure holds an attribute set as the options of Add, Record and
// Observe, made once so that a measurement allocates nothing.
type measure struct {
	add []metric.AddOption
	rec []metric.RecordOption
	obs []metric.ObserveOption
}

// measures are the measurements of every send of one operation.
type measures struct {
	sent     *atomic.Int64 // recipients sent
	duration measure
}

// storeMethods are the store methods the Client calls, whose measurements
// NewHooks makes at once.
var storeMethods = []string{"Lookup", "Put", "Delete", "AddTransientBounce", "ClearTransientBounces",
	"Applied", "MarkApplied", "AddCount", "SumCounts", "List", "Purge", "InTx"}

// prepare makes the measurements every send uses.
func (h *hooks) prepare() {
	h.cache.Store(&map[attrKey]measure{})
	h.counts.Store(&map[attrKey]*atomic.Int64{})
	h.email = measures{
		sent:     h.count(attrKey{kind: kindRecipients, a: "SendEmail", b: "sent"}),
		duration: h.measurement(attrKey{kind: kindSend, a: "SendEmail"}),
	}
	h.bulk = measures{
		sent:     h.count(attrKey{kind: kindRecipients, a: "SendBulkEmail", b: "sent"}),
		duration: h.measurement(attrKey{kind: kindSend, a: "SendBulkEmail"}),
	}
	h.storeOK = make(map[string]measure, len(storeMethods))
	for _, op := range storeMethods {
		h.storeOK[op] = h.measurement(attrKey{kind: kindStore, a: op})
	}
}

// measurement returns the options of k.
func (h *hooks) measurement(k attrKey) measure {
	if m, ok := (*h.cache.Load())[k]; ok {
		return m
	}
	var kv []attribute.KeyValue
	errType := func(s string) {
		if s != "" {
			kv = append(kv, semconv.ErrorTypeKey.String(s))
		}
	}
	switch k.kind {
	case kindRecipients:
		kv = append(kv, AttrOperation.String(k.a), AttrOutcome.String(k.b))
		switch {
		case k.b == "failed":
			errType(k.c)
		case k.c != "":
			scope := "all"
			if k.n == 1 {
				scope = "list"
			}
			kv = append(kv, AttrReason.String(k.c), AttrScope.String(scope))
		}
	case kindSend:
		kv = append(kv, AttrOperation.String(k.a))
		errType(k.b)
	case kindDecision:
		kv = append(kv, AttrNotificationType.String(k.a), AttrDecision.String(k.b))
	case kindLag:
		kv = append(kv, AttrNotificationType.String(k.a))
	case kindWebhook:
		kv = append(kv, semconv.HTTPResponseStatusCodeKey.Int(k.n))
	case kindStore:
		kv = append(kv, semconv.DBOperationNameKey.String(k.a))
		errType(k.b)
	case kindLimiter:
		kv = append(kv, AttrPriority.String(k.a))
		errType(k.b)
	}
	o := metric.WithAttributeSet(attribute.NewSet(kv...))
	h.cacheMu.Lock()
	defer h.cacheMu.Unlock()
	m := measure{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}, obs: []metric.ObserveOption{o}}
	old := *h.cache.Load()
	next := make(map[attrKey]measure, len(old)+1)
	maps.Copy(next, old)
	next[k] = m
	h.cache.Store(&next)
	return m
}

// count returns the counter of k, made when first asked for.
func (h *hooks) count(k attrKey) *atomic.Int64 {
	if c, ok := (*h.counts.Load())[k]; ok {
		return c
	}
	h.cacheMu.Lock()
	defer h.cacheMu.Unlock()
	old := *h.counts.Load()
	if c, ok := old[k]; ok {
		return c
	}
	next := make(map[attrKey]*atomic.Int64, len(old)+1)
	maps.Copy(next, old)
	c := new(atomic.Int64)
	next[k] = c
	h.counts.Store(&next)
	return c
}

// errType is the error.type of err, or "" for nil.
func errType(err error) string {
	if err == nil {
		return ""
	}
	return errorType(err)
}

var spanOptions = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}

// sendState is one send under way. They are pooled, each with its done
// method bound once, so that the hook allocates nothing per send.
type sendState struct {
	h        *hooks
	doneFunc func(sesguard.SendReport)
	ctx      context.Context
	span     trace.Span    // nil without tracing
	start    time.Duration // a reading of monotonic
}

// monotonicBase is where monotonic counts from.
var monotonicBase = time.Now()

// monotonic reads the monotonic clock only, which costs about half of
// time.Now (that reads the wall clock too).
func monotonic() time.Duration { return time.Since(monotonicBase) }

// send starts the span of a send; the func it returns ends it and records
// the send's metrics.
func (h *hooks) send(ctx context.Context, op string) (context.Context, func(sesguard.SendReport)) {
	st := h.sends.Get().(*sendState)
	if h.sendDuration != nil {
		st.start = monotonic()
	}
	if h.tracer != nil {
		name := "sesguard SendEmail"
		if op == "SendBulkEmail" {
			name = "sesguard SendBulkEmail"
		}
		ctx, st.span = h.tracer.Start(ctx, name, spanOptions...)
	}
	st.ctx = ctx
	return ctx, st.doneFunc
}

func (st *sendState) done(r sesguard.SendReport) {
	h, ctx, span, start := st.h, st.ctx, st.span, st.start
	st.ctx, st.span = nil, nil
	h.sends.Put(st)

	et := errType(r.Err)
	ms := &h.email
	if r.Op == "SendBulkEmail" {
		ms = &h.bulk
	}
	if r.Sent > 0 {
		ms.sent.Add(int64(r.Sent))
	}
	for _, s := range r.Skipped {
		outcome := "suppressed"
		if s.Reason == store.ReasonInvalid {
			outcome = "invalid"
		}
		k := attrKey{kind: kindRecipients, a: r.Op, b: outcome, c: string(s.Reason)}
		if s.Scope != store.ScopeAll {
			k.n = 1
		}
		h.count(k).Add(1)
	}
	if unsent := r.Kept - r.Sent; unsent > 0 {
		h.count(attrKey{kind: kindRecipients, a: r.Op, b: "failed", c: failedType(et)}).Add(int64(unsent))
	}
	if h.sendDuration != nil {
		duration := ms.duration
		if et != "" {
			duration = h.measurement(attrKey{kind: kindSend, a: r.Op, b: et})
		}
		h.sendDuration.Record(ctx, (monotonic() - start).Seconds(), duration.rec...)
	}

	if span == nil {
		return
	}
	if span.IsRecording() {
		span.SetAttributes(
			AttrRecipients.Int(r.Recipients),
			AttrRecipientsSent.Int(r.Sent),
			AttrRecipientsSkipped.Int(len(r.Skipped)),
		)
		if h.addresses {
			span.SetAttributes(AttrRecipientAddresses.StringSlice(destinations(r)), AttrSkippedAddresses.StringSlice(skippedAddresses(r.Skipped)))
		}
		h.fail(span, r.Err, et)
	}
	span.End()
}

// failedType is the error.type of recipients left unsent without an
// error: the entries SES refused in a bulk send.
func failedType(et string) string {
	if et == "" {
		return "rejected"
	}
	return et
}

// fail marks span as failed with err, whose message goes on the span only
// when addresses may.
func (h *hooks) fail(span trace.Span, err error, et string) {
	if err == nil {
		return
	}
	span.SetAttributes(semconv.ErrorTypeKey.String(et))
	if h.addresses {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return
	}
	span.SetStatus(codes.Error, et)
}

// destinations lists the recipients of the send as the caller wrote them.
func destinations(r sesguard.SendReport) []string {
	var out []string
	switch {
	case r.Email != nil && r.Email.Destination != nil:
		d := r.Email.Destination
		out = append(append(append(out, d.ToAddresses...), d.CcAddresses...), d.BccAddresses...)
	case r.Bulk != nil:
		for _, e := range r.Bulk.BulkEmailEntries {
			if d := e.Destination; d != nil {
				out = append(append(append(out, d.ToAddresses...), d.CcAddresses...), d.BccAddresses...)
			}
		}
	}
	return out
}

func skippedAddresses(skipped []sesguard.Skipped) []string {
	out := make([]string, len(skipped))
	for i, s := range skipped {
		out[i] = s.Recipient
	}
	return out
}

// apply starts the span of applying a notification; the func it returns
// ends it and records the decisions and the notification's lag.
func (h *hooks) apply(ctx context.Context, n *sesguard.Notification) (context.Context, func(sesguard.ApplyReport)) {
	attrs := []attribute.KeyValue{AttrNotificationType.String(string(n.Type))}
	if n.SNS != nil && n.SNS.MessageID != "" {
		attrs = append(attrs, semconv.MessagingMessageIDKey.String(n.SNS.MessageID))
	}
	var span trace.Span
	if h.tracer != nil {
		ctx, span = h.tracer.Start(ctx, "sesguard Apply", trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	}
	return ctx, func(r sesguard.ApplyReport) { h.applyDone(ctx, span, r) }
}

func (h *hooks) applyDone(ctx context.Context, span trace.Span, r sesguard.ApplyReport) {
	for _, d := range r.Decisions {
		h.decisions.Add(ctx, 1, h.measurement(attrKey{kind: kindDecision, a: string(d.Record.Type), b: d.Action.String()}).add...)
	}
	if at := r.Notification.EventTime(); r.Err == nil && !at.IsZero() && r.Notification.Type != "" {
		h.lag.Record(ctx, max(0, time.Since(at).Seconds()), h.measurement(attrKey{kind: kindLag, a: string(r.Notification.Type)}).rec...)
	}
	if span == nil {
		return
	}
	if span.IsRecording() {
		span.SetAttributes(AttrDecisions.Int(len(r.Decisions)))
		if h.addresses {
			addrs := make([]string, 0, len(r.Decisions))
			for _, d := range r.Decisions {
				addrs = append(addrs, d.Address)
			}
			span.SetAttributes(AttrDecisionAddresses.StringSlice(addrs))
		}
		h.fail(span, r.Err, errType(r.Err))
	}
	span.End()
}

func (h *hooks) webhook(ctx context.Context, status int) {
	h.webhooks.Add(ctx, 1, h.measurement(attrKey{kind: kindWebhook, n: status}).add...)
}

func (h *hooks) store(ctx context.Context, op string, d time.Duration, err error) {
	m, ok := h.storeOK[op]
	if err != nil || !ok {
		m = h.measurement(attrKey{kind: kindStore, a: op, b: errType(err)})
	}
	h.storeDuration.Record(ctx, d.Seconds(), m.rec...)
}

func (h *hooks) limiterWait(ctx context.Context, _ int, d time.Duration, err error) {
	p := sesguard.PriorityOf(ctx).String()
	h.waitDuration.Record(ctx, d.Seconds(), h.measurement(attrKey{kind: kindLimiter, a: p, b: errType(err)}).rec...)
}

func (h *hooks) quota(used, limit int64) {
	h.quotaUsed.Store(used)
	h.limit.Store(limit)
	h.quotaSeen.Store(true)
}

func (h *hooks) breaker(s sesguard.BreakerStatus) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.breakerStatus, h.breakerSeen = s, true
}
