package dynamostore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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

// batchGet reads keys, maxBatchGet per BatchGetItem, strongly consistent,
// and calls found with each item returned and its table. Keys DynamoDB
// leaves unprocessed are sent again, with jittered backoff, at most
// BatchAttempts times in all; rounds report the BatchGetItem calls made.
func (s *Store) batchGet(ctx context.Context, keys []tableKey, found func(table string, item map[string]types.AttributeValue) error) (rounds int, err error) {
	for len(keys) > 0 {
		n := min(len(keys), maxBatchGet)
		req := make(map[string]types.KeysAndAttributes)
		for _, k := range keys[:n] {
			ka := req[k.table]
			ka.Keys = append(ka.Keys, k.key)
			ka.ConsistentRead = aws.Bool(true)
			req[k.table] = ka
		}
		keys = keys[n:]
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt == s.o.BatchAttempts {
				return rounds, fmt.Errorf("%d keys still unprocessed after %d attempts: %w", countKeys(req), attempt, ErrUnprocessed)
			}
			if attempt > 0 {
				if err := s.backoff(ctx, attempt-1); err != nil {
					return rounds, err
				}
			}
			rounds++
			out, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return rounds, err
			}
			for table, items := range out.Responses {
				for _, it := range items {
					if err := found(table, it); err != nil {
						return rounds, err
					}
				}
			}
			req = out.UnprocessedKeys
		}
	}
	return rounds, nil
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
