// Command webhook is a production-shaped HTTP endpoint for an SNS topic that
// carries SES notifications. It verifies every message's signature, accepts
// only the topics it is told to, applies bounces and complaints to a
// suppression list in SQL, and answers SNS only once the list is written.
//
// Run it against the emulator, offline:
//
//	go run ./examples/webhook -demo
//
// It starts sestest, subscribes its own URL to the emulator's topic (the
// handler confirms the subscription after checking its signature, with the
// emulator answering for sns.<region>.amazonaws.com), sends to the mailbox
// simulator's addresses, shows the suppressions that arrive, and then keeps
// serving until Ctrl-C, so that GET /healthz and the JSON logs can be looked
// at. The list is kept in a temporary SQLite file unless -sqlite or -dsn
// names one.
//
// In production:
//
//	go run ./examples/webhook -addr :8080 \
//		-topic-arn arn:aws:sns:us-east-1:123456789012:ses-notifications \
//		-dsn 'postgres://app@db.internal/app'
//
// then subscribe https://<host>/ses/notifications to the topic (behind a
// TLS-terminating proxy or load balancer); the handler confirms the
// subscription itself. -dsn (or SESGUARD_DSN) takes a postgres:// URL or a
// MySQL DSN (user:pass@tcp(host:3306)/db); without one the list is kept in
// the SQLite file -sqlite (default sesguard.db). Senders that point their own
// sesguard Client at the same database refuse what this endpoint learns.
//
// The server has read, write and idle timeouts, answers GET /healthz with 200
// while the store answers and 503 when it does not, logs JSON to stderr, and
// on SIGINT or SIGTERM stops accepting connections and lets requests in
// flight finish (-shutdown-timeout) before it exits.
//
// It also serves the one-click unsubscribe link of list mail (RFC 8058) at
// -unsubscribe-path (default /unsubscribe), when SESGUARD_UNSUBSCRIBE_KEYS
// holds the keys the senders sign their links with, as id:base64secret
// pairs, signing key first (unsubscribe.ParseKeys): a GET shows a
// confirmation page, the one-click POST records an unsubscribe for that
// list in the same store. Senders set Options.Unsubscribe with the public
// https URL of that path and the same keys. In -demo the server makes a
// key of its own, sends a newsletter, and unsubscribes its reader.
//
// Its metrics (package otelsesguard, through the OpenTelemetry Prometheus
// exporter) are served at GET /metrics on -metrics-addr
// (127.0.0.1:9464 by default; empty for none), apart from the webhook,
// which faces the internet. The repository's README lists them, and
// instrumentation/otelsesguard/alerts.yml holds alert rules on them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	a, err := start(ctx, cfg, log)
	if err != nil {
		log.Error("start", "error", err)
		os.Exit(1)
	}
	if cfg.demo {
		if err := a.demo(ctx, os.Stdout); err != nil {
			log.Error("demo", "error", err)
			a.stop()
			os.Exit(1)
		}
	}
	if err := a.wait(ctx); err != nil {
		log.Error("stop", "error", err)
		os.Exit(1)
	}
}
