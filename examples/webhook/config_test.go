package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	const arn = "arn:aws:sns:us-east-1:123456789012:ses"
	defaults := config{
		addr: ":8080", metricsAddr: "127.0.0.1:9464", path: "/ses/notifications", topicARNs: []string{arn}, sqlite: "sesguard.db",
		region: "us-east-1", shutdownTimeout: 20 * time.Second, unsubPath: "/unsubscribe",
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(c *config) // changes to defaults
	}{
		{"Defaults", []string{"-topic-arn", arn}, nil, func(*config) {}},
		{"TopicsFromTheEnvironment", nil, map[string]string{"SESGUARD_TOPIC_ARNS": arn + ", arn:aws:sns:eu-west-1:123456789012:ses"},
			func(c *config) { c.topicARNs = []string{arn, "arn:aws:sns:eu-west-1:123456789012:ses"} }},
		{"FlagOverridesTheEnvironment", []string{"-topic-arn", arn, "-dsn", "root@tcp(db:3306)/app"},
			map[string]string{"SESGUARD_DSN": "postgres://app@db/app", "AWS_REGION": "eu-west-1"},
			func(c *config) { c.dsn, c.region = "root@tcp(db:3306)/app", "eu-west-1" }},
		{"DSNFromTheEnvironment", []string{"-topic-arn", arn}, map[string]string{"SESGUARD_DSN": "postgres://app@db/app"},
			func(c *config) { c.dsn = "postgres://app@db/app" }},
		{"Everything", []string{"-topic-arn", arn, "-addr", "127.0.0.1:9000", "-metrics-addr", ":9100", "-path", "/sns", "-sqlite", "/var/lib/x.db",
			"-table-prefix", "mail_", "-region", "eu-central-1", "-shutdown-timeout", "5s"}, nil,
			func(c *config) {
				c.addr, c.path, c.sqlite, c.tablePrefix, c.region, c.shutdownTimeout = "127.0.0.1:9000", "/sns", "/var/lib/x.db", "mail_", "eu-central-1", 5*time.Second
				c.metricsAddr = ":9100"
			}},
		{"NoMetrics", []string{"-topic-arn", arn, "-metrics-addr", ""}, nil, func(c *config) { c.metricsAddr = "" }},
		{"DemoNeedsNoTopicAndUsesATemporaryFile", []string{"-demo"}, nil,
			func(c *config) { c.demo, c.topicARNs, c.sqlite = true, nil, "" }},
		{"DemoKeepsAnExplicitFile", []string{"-demo", "-sqlite", "demo.db"}, nil,
			func(c *config) { c.demo, c.topicARNs, c.sqlite = true, nil, "demo.db" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			want.topicARNs = append([]string(nil), defaults.topicARNs...)
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseFlagsRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"NoTopic", nil, "any SNS topic"},
		{"NotAnARN", []string{"-topic-arn", "ses-notifications"}, "not an ARN"},
		{"RelativePath", []string{"-topic-arn", "arn:aws:sns:us-east-1:1:t", "-path", "sns"}, "does not begin with /"},
		{"NoStore", []string{"-topic-arn", "arn:aws:sns:us-east-1:1:t", "-sqlite", ""}, "no store"},
		{"ZeroShutdown", []string{"-topic-arn", "arn:aws:sns:us-east-1:1:t", "-shutdown-timeout", "0s"}, "positive"},
		{"StrayArgument", []string{"-topic-arn", "arn:aws:sns:us-east-1:1:t", "serve"}, "unexpected arguments"},
		{"UnknownFlag", []string{"-port", "80"}, "not defined"},
		{"RelativeUnsubscribePath", []string{"-topic-arn", "arn:aws:sns:us-east-1:1:t", "-unsubscribe-path", "u"}, "must begin with /"},
		{"UnsubscribeOnTheSNSPath", []string{"-topic-arn", "arn:aws:sns:us-east-1:1:t", "-unsubscribe-path", "/ses/notifications"}, "differ from -path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, func(string) string { return "" }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	badKeys := map[string]string{"SESGUARD_UNSUBSCRIBE_KEYS": "k1:c2hvcnQ"}
	if _, err := parseFlags([]string{"-topic-arn", "arn:aws:sns:us-east-1:1:t"}, func(k string) string { return badKeys[k] }, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "SESGUARD_UNSUBSCRIBE_KEYS") {
		t.Errorf("a 5-octet key: %v, want an error naming SESGUARD_UNSUBSCRIBE_KEYS", err)
	}
	if _, err := parseFlags([]string{"-h"}, func(string) string { return "" }, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}
