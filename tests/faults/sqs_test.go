package faults_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/faultsuite"
	"github.com/sesguard/sesguard/sqsconsumer"
)

// queue is an SQS queue of its own on the emulator at
// SESGUARD_SQS_ENDPOINT, deleted when the test ends.
type queue struct {
	api *sqs.Client
	url string
}

// newQueue creates a queue whose messages come back 1 second after a
// receive that did not delete them, or skips t when
// SESGUARD_SQS_ENDPOINT is unset.
func newQueue(t *testing.T) *queue {
	t.Helper()
	endpoint := os.Getenv("SESGUARD_SQS_ENDPOINT")
	if endpoint == "" {
		t.Skip("SESGUARD_SQS_ENDPOINT is not set: no SQS emulator to test against (CI starts fauxqs; see .ci/run)")
	}
	api := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	name := fmt.Sprintf("sesguard-faults-%d", time.Now().UnixNano())
	out, err := api.CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName:  &name,
		Attributes: map[string]string{"VisibilityTimeout": "1"},
	})
	require.NoError(t, err)
	q := &queue{api: api, url: *out.QueueUrl}
	t.Cleanup(func() { api.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: &q.url}) })
	return q
}

// send puts every message in the queue, as SNS does for a subscribed
// queue without raw message delivery.
func (q *queue) send(t *testing.T, msgs []faultsuite.Message) {
	t.Helper()
	for chunk := range slices.Chunk(msgs, 10) {
		in := &sqs.SendMessageBatchInput{QueueUrl: &q.url}
		for i, m := range chunk {
			in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(m.Body)),
			})
		}
		out, err := q.api.SendMessageBatch(context.Background(), in)
		require.NoError(t, err)
		require.Empty(t, out.Failed, "SendMessageBatch failed entries")
	}
}

// count returns the number of messages in the queue, visible or not.
func (q *queue) count(t *testing.T) int {
	t.Helper()
	names := []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}
	out, err := q.api.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &q.url, AttributeNames: names})
	require.NoError(t, err)
	n := 0
	for _, k := range names {
		v, err := strconv.Atoi(out.Attributes[string(k)])
		require.NoError(t, err)
		n += v
	}
	return n
}

// consume runs a Consumer applying with c until the queue is empty, or
// fails t after limit. It calls started once the Consumer runs.
func (q *queue) consume(t *testing.T, c *sesguard.Client, limit time.Duration, started func()) {
	t.Helper()
	consumer, err := sqsconsumer.New(q.api, c, func(o *sqsconsumer.Options) {
		o.QueueURL = q.url
		o.Concurrency = 32
		o.WaitTime = time.Second
		o.RetryDelay = 100 * time.Millisecond
		o.Validator = faultsuite.Validator(t)
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- consumer.Run(ctx) }()
	started()
	deadline := time.Now().Add(limit)
	for q.count(t) > 0 {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("%d messages still in the queue after %v", q.count(t), limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	require.NoError(t, <-done)
}
