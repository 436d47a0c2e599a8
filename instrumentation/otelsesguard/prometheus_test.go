package otelsesguard_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/sesguard/sesguard/instrumentation/otelsesguard"
)

// alertRules is the shape of a Prometheus rules file.
type alertRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestPrometheusNamesAndAlertRules runs the script with the metrics read by
// the OpenTelemetry Prometheus exporter, and checks that the names the
// package documents are the names Prometheus gets, and that alerts.yml
// parses and names only metrics that exist.
func TestPrometheusNamesAndAlertRules(t *testing.T) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	require.NoError(t, err)
	r := &rig{}
	r.start(t, exporter, otelsesguard.WithSendDuration())
	r.script(t, context.Background())

	families, err := reg.Gather()
	require.NoError(t, err)
	var names []string
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "sesguard_") {
			names = append(names, f.GetName())
		}
	}
	slices.Sort(names)
	assert.Equal(t, []string{
		"sesguard_breaker_min_volume",
		"sesguard_breaker_rate_ratio",
		"sesguard_breaker_state",
		"sesguard_breaker_threshold_ratio",
		"sesguard_breaker_volume",
		"sesguard_limiter_wait_duration_seconds",
		"sesguard_notification_decisions_total",
		"sesguard_notification_lag_seconds",
		"sesguard_quota_limit",
		"sesguard_quota_used",
		"sesguard_recipients_total",
		"sesguard_send_duration_seconds",
		"sesguard_store_operation_duration_seconds",
		"sesguard_webhook_requests_total",
	}, names)

	data, err := os.ReadFile("alerts.yml")
	require.NoError(t, err)
	var rules alertRules
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&rules))
	require.Len(t, rules.Groups, 1)
	var alerts []string
	metricName := regexp.MustCompile(`\bsesguard_[a-z_]+`)
	labelMatchers := regexp.MustCompile(`\{[^}]*\}`)
	for _, rule := range rules.Groups[0].Rules {
		alerts = append(alerts, rule.Alert)
		assert.NotEmpty(t, rule.For, rule.Alert)
		assert.NotEmpty(t, rule.Annotations["summary"], rule.Alert)
		assert.Equal(t, strings.Count(rule.Expr, "("), strings.Count(rule.Expr, ")"), "%s: unbalanced parentheses", rule.Alert)
		used := metricName.FindAllString(labelMatchers.ReplaceAllString(rule.Expr, ""), -1)
		require.NotEmpty(t, used, rule.Alert)
		for _, m := range used {
			assert.Contains(t, names, strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count"), "%s names a metric that does not exist", rule.Alert)
		}
	}
	assert.Equal(t, []string{"SESBounceRateApproachingReview", "SESComplaintRateApproachingReview"}, alerts)

	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	rulesText := string(data[strings.Index(string(data), "groups:"):])
	assert.True(t, strings.Contains(string(readme), rulesText), "README quotes alerts.yml as it is")
}
