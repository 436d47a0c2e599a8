package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sesguard/sesguard/unsubscribe"
)

// config is what the flags and the environment say.
type config struct {
	addr            string
	metricsAddr     string
	path            string
	topicARNs       []string
	sqlite          string
	dsn             string
	tablePrefix     string
	region          string
	demo            bool
	shutdownTimeout time.Duration
	unsubPath       string
	unsubKeys       *unsubscribe.Keys // nil: no unsubscribe endpoint, except in -demo
}

// parseFlags reads the command line args (without the program name), with
// defaults from the environment through getenv. Errors and -h output go
// to stderr.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", ":8080", "address to listen on")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "127.0.0.1:9464", "address of the Prometheus endpoint GET /metrics, apart from the webhook; empty: none")
	fs.StringVar(&c.path, "path", "/ses/notifications", "path of the SNS endpoint")
	topics := fs.String("topic-arn", getenv("SESGUARD_TOPIC_ARNS"), "comma-separated `ARNs` of the SNS topics allowed to post (env SESGUARD_TOPIC_ARNS); required but in -demo")
	fs.StringVar(&c.sqlite, "sqlite", "sesguard.db", "SQLite `file` of the suppression list, used when -dsn is empty (in -demo: a temporary file unless set)")
	fs.StringVar(&c.dsn, "dsn", getenv("SESGUARD_DSN"), "PostgreSQL (postgres://...) or MySQL (user:pass@tcp(host:3306)/db) `DSN` of the suppression list (env SESGUARD_DSN)")
	fs.StringVar(&c.tablePrefix, "table-prefix", "", "prefix of the store's table names (default sesguard_)")
	fs.StringVar(&c.region, "region", or(getenv("AWS_REGION"), "us-east-1"), "AWS region of the SES account (env AWS_REGION)")
	fs.BoolVar(&c.demo, "demo", false, "run against sestest, an in-process SES emulator: subscribe this server, send to the mailbox simulator, show the suppressions, keep serving")
	fs.StringVar(&c.unsubPath, "unsubscribe-path", "/unsubscribe", "path of the one-click unsubscribe endpoint (RFC 8058), served when SESGUARD_UNSUBSCRIBE_KEYS holds the keys of the senders' links (id:base64secret pairs, signing key first), and in -demo")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long requests in flight may take to finish at shutdown")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.demo && !isSet(fs, "sqlite") {
		c.sqlite = ""
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for _, arn := range strings.Split(*topics, ",") {
		if arn = strings.TrimSpace(arn); arn != "" {
			if !strings.HasPrefix(arn, "arn:") {
				return c, fmt.Errorf("-topic-arn: %q is not an ARN", arn)
			}
			c.topicARNs = append(c.topicARNs, arn)
		}
	}
	if k := getenv("SESGUARD_UNSUBSCRIBE_KEYS"); k != "" {
		keys, err := unsubscribe.ParseKeys(k)
		if err != nil {
			return c, fmt.Errorf("SESGUARD_UNSUBSCRIBE_KEYS: %w", err)
		}
		c.unsubKeys = keys
	}
	switch {
	case !strings.HasPrefix(c.unsubPath, "/") || c.unsubPath == c.path:
		return c, fmt.Errorf("-unsubscribe-path %q must begin with / and differ from -path", c.unsubPath)
	case !strings.HasPrefix(c.path, "/"):
		return c, fmt.Errorf("-path %q does not begin with /", c.path)
	case c.dsn == "" && c.sqlite == "" && !c.demo:
		return c, errors.New("no store: set -dsn or -sqlite")
	case len(c.topicARNs) == 0 && !c.demo:
		return c, errors.New("no -topic-arn: without an allow-list any SNS topic, in any AWS account, could post notifications here")
	case c.shutdownTimeout <= 0:
		return c, errors.New("-shutdown-timeout must be positive")
	}
	return c, nil
}

// isSet reports whether the flag name was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func or(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}
