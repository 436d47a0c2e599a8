package dynamostore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/dynamostore"
)

// countRoundTrips makes the client count every HTTP request it sends,
// retries included, in n.
func countRoundTrips(n *atomic.Int64) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("countRoundTrips",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					n.Add(1)
					return next.HandleDeserialize(ctx, in)
				}), middleware.After)
		})
	}
}

// benchStore returns a Store on a new table whose client counts its round
// trips in n.
func benchStore(b *testing.B, n *atomic.Int64) *dynamostore.Store {
	b.Helper()
	ep := endpoint(b)
	table := newTable(b, newClient(ep))
	s, err := dynamostore.New(newClient(ep, countRoundTrips(n)), table)
	require.NoError(b, err)
	return s
}

// BenchmarkLookup50 looks up the 50 recipients of one message, a third of
// them suppressed.
func BenchmarkLookup50(b *testing.B) {
	var n atomic.Int64
	s := benchStore(b, &n)
	ctx := context.Background()
	var addrs []string
	for i := range 50 {
		a := fmt.Sprintf("rcpt%02d@example.com", i)
		addrs = append(addrs, a)
		if i%3 == 0 {
			_, err := s.Put(ctx, store.Suppression{Address: a, Reason: store.ReasonBounce})
			require.NoError(b, err)
		}
	}
	n.Store(0)
	for b.Loop() {
		got, err := s.Lookup(ctx, addrs)
		if err != nil || len(got) != 17 {
			b.Fatalf("Lookup: %d suppressions, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(n.Load())/float64(b.N), "roundtrips/op")
}

// BenchmarkApplyBounce makes the store calls of one permanent bounce
// notification: whether it was applied, the suppression, and the mark
// with the bounce's count.
func BenchmarkApplyBounce(b *testing.B) {
	var n atomic.Int64
	s := benchStore(b, &n)
	ctx := context.Background()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("notification-%d", i)
		if ok, err := s.Applied(ctx, id, at); err != nil || ok {
			b.Fatalf("Applied: %v, %v", ok, err)
		}
		if _, err := s.Put(ctx, store.Suppression{Address: fmt.Sprintf("b%d@example.com", i), Reason: store.ReasonBounce, Source: id, CreatedAt: at}); err != nil {
			b.Fatal(err)
		}
		c := store.Count{Name: "bounced", Bucket: at.Truncate(10 * time.Second), N: 1, KeepUntil: at.Add(25 * time.Hour)}
		if ok, err := s.MarkApplied(ctx, id, at, at.Add(24*time.Hour), c); err != nil || !ok {
			b.Fatalf("MarkApplied: %v, %v", ok, err)
		}
	}
	b.ReportMetric(float64(n.Load())/float64(b.N), "roundtrips/op")
}

// BenchmarkImport imports 1000 new addresses per op.
func BenchmarkImport(b *testing.B) {
	var n atomic.Int64
	s := benchStore(b, &n)
	ctx := context.Background()
	round := 0
	for b.Loop() {
		round++
		got, err := s.Import(ctx, func(yield func(store.Suppression, error) bool) {
			for i := range 1000 {
				if !yield(store.Suppression{Address: fmt.Sprintf("r%d-%04d@example.com", round, i), Reason: store.ReasonBounce, Source: "ses-account-list"}, nil) {
					return
				}
			}
		})
		if err != nil || got != 1000 {
			b.Fatalf("Import: %d, %v", got, err)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(n.Load())/float64(b.N), "roundtrips/op")
}
