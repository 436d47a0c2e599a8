// Command sqs applies the SES notifications in an SQS queue to a suppression
// list in SQL: the SNS topic SES publishes to delivers into the queue, and
// this worker long-polls it, writes each message's suppressions, and only
// then deletes the message. A message it cannot read or apply stays in the
// queue, to be received again after its visibility timeout and moved to the
// queue's dead-letter queue after maxReceiveCount tries.
//
//	go run ./examples/sqs -queue-url https://sqs.us-east-1.amazonaws.com/123456789012/ses-notifications \
//		-dsn 'postgres://app@db.internal/app'
//
// Credentials and region come from the AWS SDK's default chain (environment,
// shared config, the instance's or task's role); the worker needs
// sqs:ReceiveMessage and sqs:DeleteMessage on the queue. -endpoint points it
// at an SQS-compatible server instead of AWS. The suppression list is in the
// SQLite file -sqlite (default sesguard.db) unless -dsn (or SESGUARD_DSN)
// names a PostgreSQL URL or a MySQL DSN (user:pass@tcp(host:3306)/db) —
// the database the senders' sesguard Clients use. The queue may be
// subscribed with or without raw message delivery. Signatures are not
// checked: only what the queue's access policy allows can reach it.
//
// On SIGINT or SIGTERM the worker stops receiving, finishes the messages it
// holds (their writes and deletes), and exits.
//
// Its test runs the worker against fauxqs, an SQS emulator, when
// SESGUARD_SQS_ENDPOINT names one:
//
//	SESGUARD_SQS_ENDPOINT=http://127.0.0.1:4577 go test ./examples/sqs
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
		fmt.Fprintln(os.Stderr, "sqs:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	w, err := newWorker(ctx, cfg, log)
	if err != nil {
		log.Error("start", "error", err)
		os.Exit(1)
	}
	log.Info("consuming", "queue", cfg.queueURL, "concurrency", cfg.concurrency)
	if err := w.run(ctx); err != nil {
		log.Error("stop", "error", err)
		os.Exit(1)
	}
	log.Info("stopped")
}
