package otelsesguard

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/sesguard/sesguard"
)

// The names of the metrics. The Prometheus exporter spells them with
// underscores and a unit suffix: sesguard.recipients is
// sesguard_recipients_total, sesguard.store.operation.duration is
// sesguard_store_operation_duration_seconds, sesguard.breaker.rate is
// sesguard_breaker_rate_ratio.
const (
	MetricRecipients        = "sesguard.recipients"
	MetricSendDuration      = "sesguard.send.duration"
	MetricDecisions         = "sesguard.notification.decisions"
	MetricLag               = "sesguard.notification.lag"
	MetricWebhookRequests   = "sesguard.webhook.requests"
	MetricStoreDuration     = "sesguard.store.operation.duration"
	MetricLimiterWait       = "sesguard.limiter.wait.duration"
	MetricQuotaUsed         = "sesguard.quota.used"
	MetricQuotaLimit        = "sesguard.quota.limit"
	MetricBreakerState      = "sesguard.breaker.state"
	MetricBreakerRate       = "sesguard.breaker.rate"
	MetricBreakerThreshold  = "sesguard.breaker.threshold"
	MetricBreakerVolume     = "sesguard.breaker.volume"
	MetricBreakerMinVolume  = "sesguard.breaker.min_volume"
	metricBreakerStateCount = 3
)

// Bucket boundaries, in seconds: store calls from a memory lookup to a
// slow database; limiter waits and sends from nothing to a throttled
// minute; notification lag from a second to the 24 hours SES may retry.
var (
	storeBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	waitBuckets  = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	lagBuckets   = []float64{1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400}
)

var breakerStates = [metricBreakerStateCount]sesguard.BreakerState{sesguard.BreakerClosed, sesguard.BreakerOpen, sesguard.BreakerHalfOpen}

// instruments creates the instruments on m, the send-duration histogram
// only with sendDuration, and registers the callback of the observable
// ones.
func (h *hooks) instruments(m metric.Meter, sendDuration bool) error {
	var errs []error
	check := func(err error) { errs = append(errs, err) }
	var err error
	h.recipients, err = m.Int64ObservableCounter(MetricRecipients, metric.WithUnit("{recipient}"),
		metric.WithDescription("Recipients of sends, by outcome (sent, suppressed, invalid, failed) and reason."))
	check(err)
	if sendDuration {
		h.sendDuration, err = m.Float64Histogram(MetricSendDuration, metric.WithUnit("s"),
			metric.WithDescription("Duration of Send and SendBulkEmail, screening, pacing and SES included."),
			metric.WithExplicitBucketBoundaries(waitBuckets...))
		check(err)
	}
	h.decisions, err = m.Int64Counter(MetricDecisions, metric.WithUnit("{decision}"),
		metric.WithDescription("Records of SES notifications applied, by event type and the policy's decision."))
	check(err)
	h.lag, err = m.Float64Histogram(MetricLag, metric.WithUnit("s"),
		metric.WithDescription("Time from the event SES reported to the notification applied."),
		metric.WithExplicitBucketBoundaries(lagBuckets...))
	check(err)
	h.webhooks, err = m.Int64Counter(MetricWebhookRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests answered by the SNS webhook, by HTTP status."))
	check(err)
	h.storeDuration, err = m.Float64Histogram(MetricStoreDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of the calls to the suppression store, by method and error type."),
		metric.WithExplicitBucketBoundaries(storeBuckets...))
	check(err)
	h.waitDuration, err = m.Float64Histogram(MetricLimiterWait, metric.WithUnit("s"),
		metric.WithDescription("Time sends waited for the rate limiter."),
		metric.WithExplicitBucketBoundaries(waitBuckets...))
	check(err)

	used, err := m.Int64ObservableGauge(MetricQuotaUsed, metric.WithUnit("{recipient}"),
		metric.WithDescription("Recipients counted against the 24-hour sending quota."))
	check(err)
	limit, err := m.Int64ObservableGauge(MetricQuotaLimit, metric.WithUnit("{recipient}"),
		metric.WithDescription("The 24-hour sending quota; absent when unlimited."))
	check(err)
	state, err := m.Int64ObservableGauge(MetricBreakerState,
		metric.WithDescription("1 for the reputation breaker's current state, 0 for the others."))
	check(err)
	rate, err := m.Float64ObservableGauge(MetricBreakerRate, metric.WithUnit("1"),
		metric.WithDescription("Bounce and complaint rates the reputation breaker sees in its window."))
	check(err)
	threshold, err := m.Float64ObservableGauge(MetricBreakerThreshold, metric.WithUnit("1"),
		metric.WithDescription("The rates at which the reputation breaker opens."))
	check(err)
	volume, err := m.Int64ObservableGauge(MetricBreakerVolume, metric.WithUnit("{recipient}"),
		metric.WithDescription("Recipients sent in the reputation breaker's window, behind its rates."))
	check(err)
	minVolume, err := m.Int64ObservableGauge(MetricBreakerMinVolume, metric.WithUnit("{recipient}"),
		metric.WithDescription("The fewest recipients in the window for the breaker to judge its rates."))
	check(err)
	if err := errors.Join(errs...); err != nil {
		return err
	}

	bounce := metric.WithAttributeSet(attribute.NewSet(AttrSignal.String("bounce")))
	complaint := metric.WithAttributeSet(attribute.NewSet(AttrSignal.String("complaint")))
	var stateAttrs [metricBreakerStateCount]metric.ObserveOption
	for i, s := range breakerStates {
		stateAttrs[i] = metric.WithAttributeSet(attribute.NewSet(AttrBreakerState.String(s.String())))
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for k, c := range *h.counts.Load() {
			if v := c.Load(); v > 0 {
				o.ObserveInt64(h.recipients, v, h.measurement(k).obs...)
			}
		}
		if h.quotaSeen.Load() {
			o.ObserveInt64(used, h.quotaUsed.Load())
			if l := h.limit.Load(); l >= 0 {
				o.ObserveInt64(limit, l)
			}
		}
		h.mu.Lock()
		s, seen := h.breakerStatus, h.breakerSeen
		h.mu.Unlock()
		if !seen {
			return nil
		}
		for i, st := range breakerStates {
			v := int64(0)
			if s.State == st {
				v = 1
			}
			o.ObserveInt64(state, v, stateAttrs[i])
		}
		var br, cr float64
		if s.Sent > 0 {
			br, cr = float64(s.Bounced)/float64(s.Sent), float64(s.Complained)/float64(s.Sent)
		}
		o.ObserveFloat64(rate, br, bounce)
		o.ObserveFloat64(rate, cr, complaint)
		o.ObserveFloat64(threshold, s.BounceThreshold, bounce)
		o.ObserveFloat64(threshold, s.ComplaintThreshold, complaint)
		o.ObserveInt64(volume, s.Sent)
		o.ObserveInt64(minVolume, s.MinVolume)
		return nil
	}, h.recipients, used, limit, state, rate, threshold, volume, minVolume)
	return err
}
