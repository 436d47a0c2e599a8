// Command lambda is an AWS Lambda function that applies SES notifications to
// a suppression list in DynamoDB (the serverless default) or SQL, for either
// way SNS reaches Lambda:
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
// template.yaml beside this file deploys it with its table, topic and SES
// configuration set (see README.md). Its environment:
//
//	SESGUARD_DYNAMODB_TABLE  the store: a DynamoDB table of store/dynamostore, reached
//	                         with the function role's credentials
//	SESGUARD_DSN             or a SQL store: postgres://... or a MySQL DSN
//	                         (user:pass@tcp(host:3306)/db); a file: URI selects
//	                         SQLite, for local runs
//	SESGUARD_TRIGGER         sns (the default) or sqs
//	SESGUARD_TABLE_PREFIX    with SESGUARD_DSN: prefix of the SQL tables (default sesguard_)
//
// The senders' sesguard Clients use the same table or database, so they
// refuse what this function learns. The function opens its store once per
// execution environment, at start, and reuses it for every invocation.
//
// Its tests invoke both handlers, through aws-lambda-go's own decoding, with
// events built from real SNS and SES payloads and from sestest's emulator,
// on SQLite and, when the environment names them, on DynamoDB (dynalite),
// PostgreSQL and MySQL:
//
//	go test ./examples/lambda
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/examples/internal/exampledb"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/dynamostore"
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
// handler function that SESGUARD_TRIGGER selects, for lambda.Start, and
// what to close when the function ends: the database handle, which a
// function keeps open for its whole life.
func newFunction(ctx context.Context, getenv func(string) string, log *slog.Logger) (any, io.Closer, error) {
	trigger := getenv("SESGUARD_TRIGGER")
	if trigger != "" && trigger != "sns" && trigger != "sqs" {
		return nil, nil, fmt.Errorf("SESGUARD_TRIGGER is %q: want sns or sqs", trigger)
	}
	st, closer, err := openStore(ctx, getenv)
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
		closer.Close()
		return nil, nil, err
	}
	h := &handler{client: client, log: log}
	if trigger == "sqs" {
		return h.handleSQS, closer, nil
	}
	return h.handleSNS, closer, nil
}

// openStore opens the DynamoDB table SESGUARD_DYNAMODB_TABLE names, with
// the AWS SDK's default configuration (the function's role, region and,
// for tests, AWS_ENDPOINT_URL_DYNAMODB), or else the SQL database
// SESGUARD_DSN names.
func openStore(ctx context.Context, getenv func(string) string) (store.Store, io.Closer, error) {
	table, dsn := getenv("SESGUARD_DYNAMODB_TABLE"), getenv("SESGUARD_DSN")
	switch {
	case table != "" && dsn != "":
		return nil, nil, errors.New("two stores: set SESGUARD_DYNAMODB_TABLE or SESGUARD_DSN, not both")
	case table != "":
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("open the DynamoDB store: %w", err)
		}
		st, err := dynamostore.New(dynamodb.NewFromConfig(cfg), table)
		if err != nil {
			return nil, nil, err
		}
		return st, nopCloser{}, nil
	case dsn != "":
		st, db, err := exampledb.Open(ctx, dsn, getenv("SESGUARD_TABLE_PREFIX"))
		if err != nil {
			return nil, nil, err
		}
		return st, db, nil
	}
	return nil, nil, errors.New("no store: set SESGUARD_DYNAMODB_TABLE (DynamoDB) or SESGUARD_DSN (SQL)")
}

// nopCloser is what a DynamoDB store has to close: nothing.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }
