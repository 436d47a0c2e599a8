package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
)

// config is what the flags and the environment say.
type config struct {
	queueURL    string
	region      string
	endpoint    string
	concurrency int
	sqlite      string
	dsn         string
	tablePrefix string
}

// parseFlags reads the command line args (without the program name), with
// defaults from the environment through getenv. Errors and -h output go
// to stderr.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("sqs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.queueURL, "queue-url", getenv("SESGUARD_QUEUE_URL"), "`URL` of the SQS queue subscribed to the SES notification topic (env SESGUARD_QUEUE_URL)")
	fs.StringVar(&c.region, "region", "", "AWS region of the queue (default: the SDK's, from AWS_REGION or the shared config)")
	fs.StringVar(&c.endpoint, "endpoint", "", "SQS endpoint `URL` to use instead of AWS's, e.g. a local emulator's")
	fs.IntVar(&c.concurrency, "concurrency", 4, "most messages applied at once")
	fs.StringVar(&c.sqlite, "sqlite", "sesguard.db", "SQLite `file` of the suppression list, used when -dsn is empty")
	fs.StringVar(&c.dsn, "dsn", getenv("SESGUARD_DSN"), "PostgreSQL (postgres://...) or MySQL (user:pass@tcp(host:3306)/db) `DSN` of the suppression list (env SESGUARD_DSN)")
	fs.StringVar(&c.tablePrefix, "table-prefix", "", "prefix of the store's table names (default sesguard_)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case c.queueURL == "":
		return c, errors.New("no -queue-url (or SESGUARD_QUEUE_URL)")
	case c.concurrency < 1:
		return c, errors.New("-concurrency must be at least 1")
	case c.dsn == "" && c.sqlite == "":
		return c, errors.New("no store: set -dsn or -sqlite")
	}
	for name, v := range map[string]string{"-queue-url": c.queueURL, "-endpoint": c.endpoint} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return c, fmt.Errorf("%s %q is not an http(s) URL", name, v)
		}
	}
	return c, nil
}
