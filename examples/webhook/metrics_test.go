package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMetrics runs the demo and scrapes GET /metrics from the metrics
// server: the sends, the notifications and the webhook's answers are
// there, as Prometheus names them. The webhook's own server does not
// serve them.
func TestMetrics(t *testing.T) {
	cfg := demoConfig()
	cfg.metricsAddr = "127.0.0.1:0"
	a := startT(t, cfg, slog.New(slog.DiscardHandler))
	var out strings.Builder
	require.NoError(t, a.demo(context.Background(), &out), out.String())

	status, body := get(t, a.metURL+"/metrics")
	require.Equal(t, http.StatusOK, status)
	for _, want := range []string{
		`sesguard_recipients_total{otel_scope_name="github.com/sesguard/sesguard/instrumentation/otelsesguard",otel_scope_schema_url="https://opentelemetry.io/schemas/1.40.0",otel_scope_version="",sesguard_operation="SendEmail",sesguard_outcome="sent"} 7`,
		`sesguard_outcome="suppressed",sesguard_reason="BOUNCE",sesguard_scope="all"} 2`,
		`sesguard_outcome="suppressed",sesguard_reason="COMPLAINT",sesguard_scope="all"} 1`,
		`sesguard_outcome="suppressed",sesguard_reason="UNSUBSCRIBE",sesguard_scope="list"} 1`,
		`sesguard_decision="suppressed",sesguard_notification_type="Bounce"} 2`,
		`sesguard_webhook_requests_total{http_response_status_code="200"`,
		`sesguard_notification_lag_seconds_bucket{`,
		`sesguard_store_operation_duration_seconds_count{db_operation_name="Lookup"`,
		`sesguard_breaker_state{`,
	} {
		assert.True(t, strings.Contains(body, want), "GET /metrics lacks %s", want)
	}

	status, _ = get(t, a.url+"/metrics")
	assert.NotEqual(t, http.StatusOK, status, "the webhook's server serves no metrics")
}
