// Package sqsconsumer applies SES notifications that arrive in an Amazon
// SQS queue, the usual alternative to an HTTP endpoint for an SNS topic.
//
// A [Consumer] long-polls the queue and applies the notifications of each
// receive — up to 10 messages — as one batch with
// [sesguard.Client.ApplyBatch]: one transaction when the store implements
// store.Transactor. It applies a few batches at a time, never more than
// Options.Concurrency, and deletes the messages whose notifications were
// all applied, in one DeleteMessageBatch call per receive. A message that cannot be parsed, verified or applied is left
// in the queue: SQS makes it visible again after its visibility timeout,
// and a redrive policy moves it to a dead-letter queue after a few tries,
// so nothing is lost. Applying is exactly-once, so a message redelivered
// after a lost delete changes nothing.
//
// Messages may be SNS envelopes (raw message delivery off, the default) or
// bare SES JSON (raw message delivery on). SQS only accepts messages its
// access policy allows, so the SNS signature is not checked unless
// Options.Validator is set. Their age is never checked: a message may wait
// in a queue for up to its retention period (14 days at most), or longer in
// a dead-letter queue before it is redriven, and is still worth applying;
// a Validator for a Consumer is built with MaxAge [sns.NoMaxAge].
//
// This package lives apart from sesguard so that programs that do not
// use SQS do not compile the SQS client.
package sqsconsumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sns"
)

// API is the part of *sqs.Client that a Consumer calls.
type API interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

var _ API = (*sqs.Client)(nil)

// Applier applies a batch of notifications; *sesguard.Client is one. Like
// [sesguard.Client.ApplyBatch], it returns the decisions of the
// notifications it applied, ns[:len(ds)], and an error when it could not
// apply the rest.
type Applier interface {
	ApplyBatch(ctx context.Context, ns []*sesguard.Notification) ([][]sesguard.Decision, error)
}

var _ Applier = (*sesguard.Client)(nil)

// Options configures a Consumer. QueueURL is required; every other zero
// value is a documented default.
type Options struct {
	// QueueURL is the queue to consume.
	QueueURL string

	// Concurrency is the most batches (the messages of one receive)
	// applied at once. Zero: 4.
	Concurrency int

	// MaxMessages is the most messages asked for per receive, at most 10.
	// Zero: 10.
	MaxMessages int

	// WaitTime is the long-polling wait of one receive, at most 20
	// seconds. Zero: 20 seconds.
	WaitTime time.Duration

	// VisibilityTimeout, when positive, overrides the queue's visibility
	// timeout for received messages: how long a message that was not
	// deleted stays hidden before it is delivered again.
	VisibilityTimeout time.Duration

	// RetryDelay is how long to wait after a failed receive before the
	// next. Zero: 1 second.
	RetryDelay time.Duration

	// Validator, if set, checks the SNS signature and topic of every
	// enveloped message; one that fails is left in the queue. It must be
	// built with MaxAge sns.NoMaxAge, since messages wait in the queue:
	// New refuses one that checks ages. nil: not checked.
	Validator *sns.Validator

	// Logger receives the Consumer's logs. nil: logs are discarded.
	Logger *slog.Logger
}

// Consumer applies the SES notifications in an SQS queue. Create one with
// [New] and call [Consumer.Run].
type Consumer struct {
	api     API
	applier Applier
	opts    Options
	log     *slog.Logger
}

// New returns a Consumer that receives from api and applies with applier.
func New(api API, applier Applier, optFns ...func(*Options)) (*Consumer, error) {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	switch {
	case api == nil || applier == nil:
		return nil, errors.New("sqsconsumer: New: nil API or Applier")
	case o.QueueURL == "":
		return nil, errors.New("sqsconsumer: New: Options.QueueURL is required")
	case o.Validator != nil && o.Validator.MaxAge() > 0:
		return nil, fmt.Errorf("sqsconsumer: New: Options.Validator refuses messages older than %s, but messages wait in the queue: build it with MaxAge sns.NoMaxAge", o.Validator.MaxAge())
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MaxMessages <= 0 || o.MaxMessages > 10 {
		o.MaxMessages = 10
	}
	if o.WaitTime <= 0 || o.WaitTime > 20*time.Second {
		o.WaitTime = 20 * time.Second
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Consumer{api: api, applier: applier, opts: o, log: log}, nil
}

// Run receives and applies messages until ctx is done. Then it stops
// receiving, lets the messages it holds finish (their applies and deletes
// run to completion, detached from ctx), and returns nil. A failed receive
// is logged and retried after Options.RetryDelay.
func (c *Consumer) Run(ctx context.Context) error {
	slots := make(chan struct{}, c.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	work := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		in := &sqs.ReceiveMessageInput{
			QueueUrl:                    &c.opts.QueueURL,
			MaxNumberOfMessages:         int32(c.opts.MaxMessages),
			WaitTimeSeconds:             int32(c.opts.WaitTime / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		}
		if c.opts.VisibilityTimeout > 0 {
			in.VisibilityTimeout = int32(max(c.opts.VisibilityTimeout/time.Second, 1))
		}
		out, err := c.api.ReceiveMessage(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			c.log.ErrorContext(ctx, "sqsconsumer: receive failed", "queue", c.opts.QueueURL, "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(c.opts.RetryDelay):
			}
			continue
		}
		if len(out.Messages) == 0 {
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			c.handle(work, out.Messages)
		})
	}
	return nil
}

// handle applies the notifications of msgs as one batch and deletes each
// message whose notifications were all applied.
func (c *Consumer) handle(ctx context.Context, msgs []types.Message) {
	var ns []*sesguard.Notification
	var from []int // the index in msgs of each notification's message
	applied := make([]bool, len(msgs))
	for i, m := range msgs {
		parsed, err := c.parse(ctx, deref(m.Body))
		if err != nil {
			c.leave(ctx, m, err)
			continue
		}
		applied[i] = true
		for _, n := range parsed {
			ns = append(ns, n)
			from = append(from, i)
		}
	}
	if len(ns) > 0 {
		ds, err := c.applier.ApplyBatch(ctx, ns)
		if err != nil {
			for j := len(ds); j < len(ns); j++ {
				if i := from[j]; applied[i] {
					applied[i] = false
					c.leave(ctx, msgs[i], fmt.Errorf("apply: %w", err))
				}
			}
		}
	}
	c.delete(ctx, msgs, applied)
}

// delete deletes the messages of msgs that were applied, in one call. A
// message applied but not deleted is delivered again, and its redelivery
// is a no-op.
func (c *Consumer) delete(ctx context.Context, msgs []types.Message, applied []bool) {
	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if applied[i] {
			entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(entries) == 0 {
		return
	}
	out, err := c.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &c.opts.QueueURL, Entries: entries})
	if err != nil {
		c.log.WarnContext(ctx, "sqsconsumer: applied but not deleted; their redelivery will be a no-op", "messages", len(entries), "error", err)
		return
	}
	for _, f := range out.Failed {
		i, _ := strconv.Atoi(deref(f.Id))
		if i < 0 || i >= len(msgs) {
			continue
		}
		c.log.WarnContext(ctx, "sqsconsumer: applied but not deleted; its redelivery will be a no-op",
			"message_id", deref(msgs[i].MessageId), "code", deref(f.Code), "error", deref(f.Message))
	}
}

// leave logs a message left in the queue for redelivery.
func (c *Consumer) leave(ctx context.Context, m types.Message, err error) {
	c.log.ErrorContext(ctx, "sqsconsumer: message left in the queue for redelivery",
		"message_id", deref(m.MessageId), "receive_count", m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)], "error", err)
}

// parse returns the notifications of one message, verified when
// Options.Validator is set.
func (c *Consumer) parse(ctx context.Context, body string) ([]*sesguard.Notification, error) {
	ns, err := sesguard.Parse([]byte(body))
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		if c.opts.Validator != nil && n.SNS != nil {
			if err := c.opts.Validator.Validate(ctx, n.SNS); err != nil {
				return nil, err
			}
		}
	}
	return ns, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
