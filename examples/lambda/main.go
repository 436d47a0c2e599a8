// Command lambda is an AWS Lambda function that applies SES notifications to
// a suppression list in SQL, for either way SNS reaches Lambda:
//
//   - SNS → Lambda: the function subscribed to the topic (handleSNS). A
//     notification that cannot be applied fails the invocation, so Lambda
//     retries it and then sends it to the function's on-failure
//     destination.
//   - SNS → SQS → Lambda: an event source mapping on a queue subscribed to
//     the topic (handleSQS). Messages that cannot be applied are reported in
//     the response's batchItemFailures, so that only they return to the
//     queue; the mapping needs ReportBatchItemFailures.
//
// Build it for the provided.al2023 runtime and deploy the zip:
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./examples/lambda
//	zip function.zip bootstrap
//
// Its environment:
//
//	SESGUARD_DSN           the store: postgres://... or a MySQL DSN (user:pass@tcp(host:3306)/db);
//	                       a file: URI selects SQLite, for local runs only
//	SESGUARD_TRIGGER       sns (the default) or sqs
//	SESGUARD_TABLE_PREFIX  prefix of the store's table names (default sesguard_)
//
// The senders' sesguard Clients use the same database, so they refuse what
// this function learns. The function opens the database once per execution
// environment, at start, and reuses it for every invocation.
//
// Its tests invoke both handlers, through aws-lambda-go's own decoding, with
// events built from real SNS and SES payloads and from sestest's emulator:
//
//	go test ./examples/lambda
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/examples/internal/exampledb"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	fn, _, err := newFunction(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("start", "error", err)
		os.Exit(1)
	}
	lambda.Start(fn)
}

// newFunction opens the store named by the environment and returns the
// handler function that SESGUARD_TRIGGER selects, for lambda.Start, and the
// database handle, which a function keeps open for its whole life.
func newFunction(ctx context.Context, getenv func(string) string, log *slog.Logger) (any, *sql.DB, error) {
	trigger := getenv("SESGUARD_TRIGGER")
	if trigger != "" && trigger != "sns" && trigger != "sqs" {
		return nil, nil, fmt.Errorf("SESGUARD_TRIGGER is %q: want sns or sqs", trigger)
	}
	dsn := getenv("SESGUARD_DSN")
	if dsn == "" {
		return nil, nil, errors.New("no store: set SESGUARD_DSN")
	}
	st, db, err := exampledb.Open(ctx, dsn, getenv("SESGUARD_TABLE_PREFIX"))
	if err != nil {
		return nil, nil, err
	}
	// The function only applies notifications: its Client never calls SES,
	// so it needs a region but no SES permissions.
	client, err := sesguard.New(sesv2.New(sesv2.Options{Region: getenv("AWS_REGION")}), func(o *sesguard.Options) {
		o.Store = st
		o.Logger = log
	})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	h := &handler{client: client, log: log}
	if trigger == "sqs" {
		return h.handleSQS, db, nil
	}
	return h.handleSNS, db, nil
}
