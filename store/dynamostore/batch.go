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
// unprocessed are sent again, with jittered backoff, at most BatchAttempts
// times in all.
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
			for attempt := 0; len(req) > 0; attempt++ {
				if attempt == s.o.BatchAttempts {
					return fmt.Errorf("%d keys still unprocessed after %d attempts: %w", countKeys(req), attempt, ErrUnprocessed)
				}
				if attempt > 0 {
					if err := s.backoff(gctx, attempt-1); err != nil {
						return err
					}
				}
				out, err := s.api.BatchGetItem(gctx, &dynamodb.BatchGetItemInput{RequestItems: req})
				if err != nil {
					return err
				}
				mu.Lock()
				err = deliver(out.Responses, found)
				mu.Unlock()
				if err != nil {
					return err
				}
				req = out.UnprocessedKeys
			}
			return nil
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

func countKeys(req map[string]types.KeysAndAttributes) int {
	n := 0
	for _, ka := range req {
		n += len(ka.Keys)
	}
	return n
}

// batchWrite puts items into the store's table, maxBatchWrite per
// BatchWriteItem, sending what DynamoDB leaves unprocessed again with
// jittered backoff, at most BatchAttempts times per batch.
func (s *Store) batchWrite(ctx context.Context, items []map[string]types.AttributeValue) error {
	for len(items) > 0 {
		n := min(len(items), maxBatchWrite)
		reqs := make([]types.WriteRequest, n)
		for i, it := range items[:n] {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
		}
		items = items[n:]
		req := map[string][]types.WriteRequest{s.table: reqs}
		for attempt := 0; len(req[s.table]) > 0; attempt++ {
			if attempt == s.o.BatchAttempts {
				return fmt.Errorf("%d items still unprocessed after %d attempts: %w", len(req[s.table]), attempt, ErrUnprocessed)
			}
			if attempt > 0 {
				if err := s.backoff(ctx, attempt-1); err != nil {
					return err
				}
			}
			out, err := s.api.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return err
			}
			req = out.UnprocessedItems
		}
	}
	return nil
}
