package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// BenchmarkSQSBatch measures handleSQS on a batch of 10 messages, as an
// SQS event source mapping delivers them by default, each a bounce of a
// new address in raw message delivery's shape, applied to SQLite.
func BenchmarkSQSBatch(b *testing.B) {
	h, _ := newHandler(b)
	const size = 10
	batches := make([]events.SQSEvent, b.N)
	for i := range batches {
		for j := range size {
			n := i*size + j
			batches[i].Records = append(batches[i].Records, events.SQSMessage{
				MessageId: fmt.Sprintf("m-%d", n),
				Body: fmt.Sprintf(`{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",`+
					`"feedbackId":"fb-%d","bouncedRecipients":[{"emailAddress":"user%d@example.com","status":"5.1.1"}]},"mail":{"messageId":"m-%d"}}`, n, n, n),
			})
		}
	}
	b.ResetTimer()
	for _, ev := range batches {
		resp, err := h.handleSQS(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatalf("%v %v", resp, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*size), "µs/message")
}
