package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/instrumentation/otelsesguard"
)

// newMetrics returns the hooks that record the Client's metrics, and the
// handler that serves them to Prometheus: package otelsesguard on the
// OpenTelemetry SDK, read by the OpenTelemetry Prometheus exporter into a
// registry of its own. The example exports no traces; a service that does
// passes its TracerProvider to NewHooks too.
func newMetrics() (sesguard.Hooks, http.Handler, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return sesguard.Hooks{}, nil, err
	}
	hooks, err := otelsesguard.NewHooks(
		otelsesguard.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))),
		otelsesguard.WithTracerProvider(tracenoop.NewTracerProvider()),
	)
	if err != nil {
		return sesguard.Hooks{}, nil, err
	}
	return hooks, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), nil
}

// newMetricsServer returns the server of GET /metrics. It listens apart
// from the webhook, which faces the internet, so that only the network
// that scrapes it reaches it.
func newMetricsServer(metrics http.Handler) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}
