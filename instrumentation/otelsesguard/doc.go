// Package otelsesguard is the OpenTelemetry instrumentation of sesguard: the
// metrics and spans of a [sesguard.Client], recorded through the public
// [sesguard.Hooks] that [NewHooks] returns.
//
//	hooks, err := otelsesguard.NewHooks(
//		otelsesguard.WithMeterProvider(mp),
//		otelsesguard.WithTracerProvider(tp),
//	)
//	if err != nil { … }
//	client, err := sesguard.New(api, func(o *sesguard.Options) { o.Hooks = hooks })
//
// Without the With…Provider options the global providers are used, as
// OpenTelemetry's contrib instrumentations do.
//
// # Metrics
//
// The instrumentation scope is [ScopeName]. The Prometheus exporter names
// each metric with underscores and a suffix for its unit and kind (in
// brackets below).
//
//   - sesguard.recipients [_total], counter: recipients of Send and
//     SendBulkEmail by sesguard.operation, sesguard.outcome (sent,
//     suppressed, invalid, failed), and sesguard.reason (the store.Reason
//     of a skipped recipient) with sesguard.scope (all, or list for a
//     list's unsubscribe), or error.type (why recipients were left unsent).
//   - sesguard.send.duration [_seconds], histogram, with
//     [WithSendDuration] only: the time of a send, screening, pacing,
//     throttle retries and SES included, by sesguard.operation and
//     error.type.
//   - sesguard.notification.decisions [_total], counter: records of SES
//     notifications applied, by sesguard.notification.type (Bounce,
//     Complaint, Delivery, ...) and sesguard.decision (suppressed, counted,
//     cleared, ignored, duplicate).
//   - sesguard.notification.lag [_seconds], histogram: from the event SES
//     reported to the notification applied, by sesguard.notification.type.
//   - sesguard.webhook.requests [_total], counter: requests the SNS handler
//     answered, by http.response.status_code.
//   - sesguard.store.operation.duration [_seconds], histogram: calls to the
//     suppression store by db.operation.name (Lookup, Put, MarkApplied, ...) and
//     error.type.
//   - sesguard.limiter.wait.duration [_seconds], histogram: the time sends
//     waited for the rate limiter, by sesguard.priority (transactional,
//     bulk) and error.type.
//   - sesguard.quota.used, sesguard.quota.limit, gauges: the recipients
//     counted in the rolling 24 hours and the quota (absent when
//     unlimited).
//   - sesguard.breaker.state, gauge: 1 for the reputation
//     breaker's state and 0 for the others, by sesguard.breaker.state
//     (closed, open, half-open).
//   - sesguard.breaker.rate and sesguard.breaker.threshold [_ratio], gauges:
//     the bounce and complaint rates the breaker sees in its window and the
//     thresholds at which it opens, by sesguard.breaker.signal (bounce,
//     complaint).
//   - sesguard.breaker.volume and sesguard.breaker.min_volume, gauges: the
//     recipients sent in the breaker's window, behind its rates, and the
//     fewest for it to judge them.
//
// error.type is low-cardinality: suppressed, breaker_open, quota_exceeded,
// store_unavailable, check_failed, invalid_message, canceled,
// deadline_exceeded, the error code of an AWS API error
// (TooManyRequestsException, MessageRejected, ...), rejected (bulk entries
// SES refused), else _OTHER.
//
// # Spans
//
// "sesguard SendEmail" and "sesguard SendBulkEmail" cover a send: children
// of the span in the caller's context, parents of what the send does with
// that context (the AWS SDK's spans, when it is instrumented). They carry
// sesguard.recipients, sesguard.recipients.sent and
// sesguard.recipients.skipped, and error.type with an error status when
// the send fails. "sesguard Apply" covers applying one notification, with
// sesguard.notification.type, messaging.message.id (the SNS message) and
// sesguard.decisions.
//
// No span carries an email address, nor an error's message (which names
// addresses), unless [WithRecipientAddresses] asks for them.
//
// # Cost
//
// With the no-op providers NewHooks returns hooks that are nil, and
// sesguard calls nothing. BENCHMARKS.md in the repository has the cost of
// the hooks with the SDK.
package otelsesguard
