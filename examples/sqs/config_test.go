package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	const queue = "https://sqs.us-east-1.amazonaws.com/123456789012/ses-notifications"
	defaults := config{queueURL: queue, concurrency: 4, sqlite: "sesguard.db"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(c *config)
	}{
		{"Defaults", []string{"-queue-url", queue}, nil, func(*config) {}},
		{"FromTheEnvironment", nil, map[string]string{"SESGUARD_QUEUE_URL": queue, "SESGUARD_DSN": "postgres://app@db/app"},
			func(c *config) { c.dsn = "postgres://app@db/app" }},
		{"FlagsOverrideTheEnvironment", []string{"-queue-url", queue, "-dsn", "app@tcp(db:3306)/app"},
			map[string]string{"SESGUARD_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/q", "SESGUARD_DSN": "postgres://app@db/app"},
			func(c *config) { c.dsn = "app@tcp(db:3306)/app" }},
		{"Everything", []string{"-queue-url", queue, "-region", "eu-central-1", "-endpoint", "http://127.0.0.1:4566",
			"-concurrency", "16", "-sqlite", "/var/lib/s.db", "-table-prefix", "mail_"}, nil,
			func(c *config) {
				c.region, c.endpoint, c.concurrency, c.sqlite, c.tablePrefix = "eu-central-1", "http://127.0.0.1:4566", 16, "/var/lib/s.db", "mail_"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			tt.want(&want)
			if got != want {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseFlagsRefuses(t *testing.T) {
	const queue = "https://sqs.us-east-1.amazonaws.com/123456789012/q"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"NoQueue", nil, "no -queue-url"},
		{"QueueNotAURL", []string{"-queue-url", "ses-notifications"}, "not an http(s) URL"},
		{"EndpointNotAURL", []string{"-queue-url", queue, "-endpoint", "localhost:4566"}, "not an http(s) URL"},
		{"NoConcurrency", []string{"-queue-url", queue, "-concurrency", "0"}, "at least 1"},
		{"NoStore", []string{"-queue-url", queue, "-sqlite", ""}, "no store"},
		{"StrayArgument", []string{"-queue-url", queue, "run"}, "unexpected arguments"},
		{"NotANumber", []string{"-queue-url", queue, "-concurrency", "many"}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, func(string) string { return "" }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	if _, err := parseFlags([]string{"-h"}, func(string) string { return "" }, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}
