package main

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/examples/internal/exampledb"
	"github.com/sesguard/sesguard/sqsconsumer"
)

// worker consumes the queue into the store.
type worker struct {
	consumer *sqsconsumer.Consumer
	db       *sql.DB
}

// newWorker opens the store and builds the consumer, with AWS credentials
// and region from the SDK's default chain (environment, shared config,
// the instance's or task's role).
func newWorker(ctx context.Context, cfg config, log *slog.Logger) (*worker, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if awsCfg.Region == "" {
		return nil, errors.New("no AWS region: set -region or AWS_REGION")
	}
	st, db, err := exampledb.Open(ctx, exampledb.DSN(cfg.dsn, cfg.sqlite), cfg.tablePrefix)
	if err != nil {
		return nil, err
	}
	queue := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if cfg.endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.endpoint)
		}
	})
	// The worker only applies notifications; its Client never calls SES.
	// A service that also sends from this process uses one Client for both.
	client, err := sesguard.New(sesv2.NewFromConfig(awsCfg), func(o *sesguard.Options) {
		o.Store = st
		o.Logger = log
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	c, err := sqsconsumer.New(queue, client, func(o *sqsconsumer.Options) {
		o.QueueURL = cfg.queueURL
		o.Concurrency = cfg.concurrency
		o.Logger = log
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &worker{consumer: c, db: db}, nil
}

// run consumes until ctx is done, lets the messages in hand finish, and
// closes the store.
func (w *worker) run(ctx context.Context) error {
	err := w.consumer.Run(ctx)
	return errors.Join(err, w.db.Close())
}
