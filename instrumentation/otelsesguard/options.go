package otelsesguard

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/sesguard/sesguard/instrumentation/otelsesguard"

// An Option configures [NewHooks].
type Option interface{ apply(*config) }

type config struct {
	meters       metric.MeterProvider
	tracers      trace.TracerProvider
	addresses    bool
	sendDuration bool
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithMeterProvider records the metrics with mp. Without it, the global
// MeterProvider (otel.GetMeterProvider) at the time of NewHooks is used.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meters = mp })
}

// WithTracerProvider starts the spans with tp. Without it, the global
// TracerProvider (otel.GetTracerProvider) at the time of NewHooks is used.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tracers = tp })
}

// WithRecipientAddresses puts email addresses on the spans: the recipients
// of a send, the addresses it skipped, the addresses of a notification's
// decisions, and error messages (which name addresses). Addresses are
// personal data; without this option no span carries one, and errors are
// recorded by type only.
func WithRecipientAddresses() Option {
	return optionFunc(func(c *config) { c.addresses = true })
}

// WithSendDuration records the histogram sesguard.send.duration: the time
// of each send, screening, pacing, throttle retries and SES included. It
// costs a send two readings of the clock and a Record, about a third of
// what the hooks cost with the SDK (BENCHMARKS.md); a send's span has its
// duration too.
func WithSendDuration() Option {
	return optionFunc(func(c *config) { c.sendDuration = true })
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	if c.meters == nil {
		c.meters = otel.GetMeterProvider()
	}
	if c.tracers == nil {
		c.tracers = otel.GetTracerProvider()
	}
	return c
}
