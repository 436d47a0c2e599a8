package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sesguard/sesguard"
)

// handler applies the SES notifications of Lambda events to the Client's
// suppression list. AWS invoked the function, so the SNS signatures are not
// checked: only SNS (or SQS) can invoke it, as its resource policy and
// event source mapping say.
type handler struct {
	client *sesguard.Client
	log    *slog.Logger
}

// handleSNS handles the event of an SNS subscription. It takes the event's
// bytes as Lambda delivers them, which sesguard.Parse reads directly
// (Lambda's SigningCertUrl spelling, "Subject": null).
//
// It returns an error when the event cannot be read or a notification in it
// could not be applied: Lambda then retries the invocation (twice, for
// SNS's asynchronous invocations) and afterwards hands the event to the
// function's on-failure destination or dead-letter queue, so nothing is
// lost. Applying is idempotent: a retry changes only what was not written.
func (h *handler) handleSNS(ctx context.Context, event json.RawMessage) error {
	if err := h.apply(ctx, event); err != nil {
		h.log.ErrorContext(ctx, "SNS event left for retry", "error", err)
		return err
	}
	return nil
}

// handleSQS handles a batch from an SQS queue subscribed to the SNS topic,
// with or without raw message delivery. It applies each message on its own
// and reports those it could not read or apply in BatchItemFailures, so
// that only they return to the queue — and, after the queue's
// maxReceiveCount, go to its dead-letter queue. The event source mapping
// must have ReportBatchItemFailures in its FunctionResponseTypes; without
// it Lambda ignores the response and deletes the whole batch.
func (h *handler) handleSQS(ctx context.Context, event events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range event.Records {
		if err := h.apply(ctx, []byte(m.Body)); err != nil {
			h.log.ErrorContext(ctx, "SQS message left for redelivery", "sqs_id", m.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// apply applies the notifications in data, in any shape sesguard.Parse
// reads. The Client logs each decision.
func (h *handler) apply(ctx context.Context, data []byte) error {
	ns, err := sesguard.Parse(data)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if _, err := h.client.Apply(ctx, n); err != nil {
			id := "without an SNS envelope"
			if n.SNS != nil {
				id = n.SNS.MessageID
			}
			return fmt.Errorf("apply the %s notification %s: %w", n.Type, id, err)
		}
	}
	return nil
}
