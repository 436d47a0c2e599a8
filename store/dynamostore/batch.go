package dynamostore

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"
)

// The most keys one BatchGetItem takes, and the most writes one
// BatchWriteItem takes.
const (
	maxBatchGet   = 100
	maxBatchWrite = 25
)

// tableKey is one key of one table, for a BatchGetItem.
type tableKey struct {
	table string
	key   map[string]types.AttributeValue
}

// batchGet reads keys, maxBatchGet per BatchGetItem and the batches at
// once, strongly consistent, and calls found with each item returned and
// its table, from one goroutine at a time. Keys DynamoDB leaves
// unprocessed are sent again (see untilProcessed).
func (s *Store) batchGet(ctx context.Context, keys []tableKey, found func(table string, item map[string]types.AttributeValue) error) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for chunk := range slices.Chunk(keys, maxBatchGet) {
		g.Go(func() error {
			req := make(map[string]types.KeysAndAttributes)
			for _, k := range chunk {
				ka := req[k.table]
				ka.Keys = append(ka.Keys, k.key)
				ka.ConsistentRead = aws.Bool(true)
				req[k.table] = ka
			}
			return s.untilProcessed(gctx, "keys", func() (int, error) {
				out, err := s.api.BatchGetItem(gctx, &dynamodb.BatchGetItemInput{RequestItems: req})
				if err != nil {
					return 0, err
				}
				mu.Lock()
				err = deliver(out.Responses, found)
				mu.Unlock()
				req = out.UnprocessedKeys
				left := 0
				for _, ka := range req {
					left += len(ka.Keys)
				}
				return left, err
			})
		})
	}
	return g.Wait()
}

func deliver(responses map[string][]map[string]types.AttributeValue, found func(table string, item map[string]types.AttributeValue) error) error {
	for table, items := range responses {
		for _, it := range items {
			if err := found(table, it); err != nil {
				return err
			}
		}
	}
	return nil
}

// batchWrite puts items into the store's table, maxBatchWrite per
// BatchWriteItem, one batch after the other, sending what DynamoDB leaves
// unprocessed again (see untilProcessed).
func (s *Store) batchWrite(ctx context.Context, items []map[string]types.AttributeValue) error {
	for chunk := range slices.Chunk(items, maxBatchWrite) {
		reqs := make([]types.WriteRequest, len(chunk))
		for i, it := range chunk {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
		}
		req := map[string][]types.WriteRequest{s.table: reqs}
		if err := s.untilProcessed(ctx, "items", func() (int, error) {
			out, err := s.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return 0, err
			}
			req = out.UnprocessedItems
			return len(req[s.table]), nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// untilProcessed calls send, which sends a batch and reports how much of
// it DynamoDB left unprocessed, until nothing is left: again after a
// jittered backoff that ends with ctx, BatchAttempts times at most. Then
// it fails with ErrUnprocessed.
func (s *Store) untilProcessed(ctx context.Context, what string, send func() (left int, err error)) error {
	for attempt := 1; ; attempt++ {
		left, err := send()
		switch {
		case err != nil:
			return err
		case left == 0:
			return nil
		case attempt == s.o.BatchAttempts:
			return fmt.Errorf("%d %s still unprocessed after %d attempts: %w", left, what, attempt, ErrUnprocessed)
		}
		if err := s.backoff(ctx, attempt-1); err != nil {
			return err
		}
	}
}
