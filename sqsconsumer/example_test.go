package sqsconsumer_test

import (
	"context"
	"log"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sqsconsumer"
)

// A worker that applies the SES notifications of a queue until it is
// told to stop.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	// Usually sesv2.NewFromConfig(cfg) and sqs.NewFromConfig(cfg), with
	// the config package's LoadDefaultConfig.
	// The Client needs the Store that the senders use.
	client, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}))
	if err != nil {
		log.Fatal(err)
	}
	consumer, err := sqsconsumer.New(sqs.New(sqs.Options{Region: "us-east-1"}), client, func(o *sqsconsumer.Options) {
		o.QueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/ses-notifications"
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := consumer.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
