package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/dynamostore"
)

// proxied returns a Store whose requests pass through a fault proxy in
// front of the server, with the SDK's retryer making attempts attempts,
// and a Store on the same table that reaches the server directly.
func proxied(t *testing.T, attempts int, optFns ...func(*dynamostore.Options)) (*dynamostore.Store, *dynamostore.Store, *faultProxy) {
	t.Helper()
	ep := endpoint(t)
	direct := newClient(ep)
	table := newTable(t, direct)
	p := newFaultProxy(t, ep)
	s, err := dynamostore.New(newClient(p.srv.URL, fastRetries(attempts)), table, optFns...)
	require.NoError(t, err)
	d, err := dynamostore.New(direct, table)
	require.NoError(t, err)
	return s, d, p
}

// recipients returns n addresses, and puts a permanent bounce for every
// third of them through s.
func recipients(t *testing.T, s store.Store, n int) (addrs, suppressed []string) {
	t.Helper()
	for i := range n {
		a := fmt.Sprintf("rcpt%02d@example.com", i)
		addrs = append(addrs, a)
		if i%3 == 0 {
			_, err := s.Put(context.Background(), store.Suppression{Address: a, Reason: store.ReasonBounce, CreatedAt: time.Unix(1_700_000_000, 0)})
			require.NoError(t, err)
			suppressed = append(suppressed, a)
		}
	}
	return addrs, suppressed
}

func addresses(vs []store.Suppression) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Address)
	}
	slices.Sort(out)
	return out
}

func TestLookupRetriesUnprocessedKeys(t *testing.T) {
	s, direct, p := proxied(t, 1)
	addrs, want := recipients(t, direct, 50)
	// Two answers in a row leave half the keys unprocessed: 25 keys, then
	// 13 of those, then the last 13 go through.
	p.queue("BatchGetItem", unprocessed, unprocessed)
	got, err := s.Lookup(context.Background(), addrs)
	require.NoError(t, err)
	assert.Equal(t, want, addresses(got))
	assert.Equal(t, 3, p.count("BatchGetItem"), "one call, then one per answer with unprocessed keys")
}

func TestLookupFailsWhenKeysStayUnprocessed(t *testing.T) {
	s, direct, p := proxied(t, 1, func(o *dynamostore.Options) { o.BatchAttempts = 4 })
	addrs, _ := recipients(t, direct, 50)
	p.always("BatchGetItem", unprocessed)
	got, err := s.Lookup(context.Background(), addrs)
	require.ErrorIs(t, err, dynamostore.ErrUnprocessed, "an answer for part of the recipients is no answer")
	assert.Nil(t, got)
	assert.Equal(t, 4, p.count("BatchGetItem"))
}

func TestLookupBackoffEndsWithContext(t *testing.T) {
	s, direct, p := proxied(t, 1, func(o *dynamostore.Options) {
		o.BatchAttempts = 100
		o.BackoffBase = time.Hour
	})
	addrs, _ := recipients(t, direct, 4)
	p.always("BatchGetItem", unprocessed)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Lookup(ctx, addrs)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestThrottlingIsRetriedByTheSDK(t *testing.T) {
	for name, f := range map[string]fault{"ProvisionedThroughputExceeded": throughput, "Throttling": throttling} {
		t.Run(name, func(t *testing.T) {
			s, direct, p := proxied(t, 3)
			addrs, want := recipients(t, direct, 50)
			p.queue("BatchGetItem", f, f)
			got, err := s.Lookup(context.Background(), addrs)
			require.NoError(t, err)
			assert.Equal(t, want, addresses(got))
			assert.Equal(t, 3, p.count("BatchGetItem"))

			p.queue("PutItem", f, f)
			written, err := s.Put(context.Background(), store.Suppression{Address: "late@example.com", Reason: store.ReasonComplaint})
			require.NoError(t, err)
			assert.True(t, written)
		})
	}
}

func TestPersistentThrottlingIsAStoreError(t *testing.T) {
	s, direct, p := proxied(t, 3)
	addrs, _ := recipients(t, direct, 10)
	p.always("BatchGetItem", throughput)
	p.always("PutItem", throttling)

	_, err := s.Lookup(context.Background(), addrs)
	var pte *types.ProvisionedThroughputExceededException
	require.ErrorAs(t, err, &pte, "the SDK's error stays reachable")
	assert.Equal(t, 3, p.count("BatchGetItem"), "the retryer's attempts, then the error")

	_, err = s.Put(context.Background(), store.Suppression{Address: "x@example.com", Reason: store.ReasonBounce})
	var te *types.ThrottlingException
	require.ErrorAs(t, err, &te)
	assert.False(t, errors.Is(err, store.ErrInvalid))
}

func TestImportResendsUnprocessedItems(t *testing.T) {
	s, direct, p := proxied(t, 1)
	var rows []store.Suppression
	for i := range 130 {
		rows = append(rows, store.Suppression{Address: fmt.Sprintf("imp%03d@example.com", i), Reason: store.ReasonBounce, Source: "import"})
	}
	p.queue("BatchWriteItem", unprocessed, unprocessed, unprocessed)
	p.queue("BatchGetItem", unprocessed)
	var progress []int
	n, err := s.Import(context.Background(), func(yield func(store.Suppression, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}, func(o *dynamostore.ImportOptions) { o.Progress = func(n int) { progress = append(progress, n) } })
	require.NoError(t, err)
	assert.Equal(t, 130, n)
	assert.Equal(t, []int{100, 130}, progress)

	var addrs []string
	for _, r := range rows {
		addrs = append(addrs, r.Address)
	}
	got, err := direct.Lookup(context.Background(), addrs)
	require.NoError(t, err)
	assert.Equal(t, addrs, addresses(got), "every row is in the table")
	// 130 rows are 6 batches of at most 25 items; the three partial answers
	// cost one more call each.
	assert.Equal(t, 6+3, p.count("BatchWriteItem"))
}
