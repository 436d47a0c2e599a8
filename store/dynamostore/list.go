package dynamostore

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/sesguard/sesguard/store"
)

// List returns at most limit suppressions whose keys sort after after, in
// ascending order. The suppression items are spread over
// [SuppressionShards] partition keys, each sorted by address: List queries
// every shard at once for its first items after after.Address (strongly
// consistent, paginated by DynamoDB's LastEvaluatedKey until the shard has
// given limit suppressions or ends) and merges them. A page so costs
// SuppressionShards queries, whatever its length. The tables of
// Options.Sources are not listed.
func (s *Store) List(ctx context.Context, after store.Key, limit int) ([]store.Suppression, error) {
	if limit <= 0 {
		return nil, nil
	}
	var shards [SuppressionShards][]store.Suppression
	g, gctx := errgroup.WithContext(ctx)
	for i := range shards {
		g.Go(func() error {
			var err error
			shards[i], err = s.listShard(gctx, i, after, limit)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("dynamostore: list: %w", err)
	}
	out := slices.Concat(shards[:]...)
	slices.SortFunc(out, func(a, b store.Suppression) int {
		switch {
		case a.Key().Less(b.Key()):
			return -1
		case b.Key().Less(a.Key()):
			return 1
		}
		return 0
	})
	return out[:min(limit, len(out))], nil
}

// listShard returns the first suppressions of shard whose keys sort after
// after, at most limit of them.
func (s *Store) listShard(ctx context.Context, shard int, after store.Key, limit int) ([]store.Suppression, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": strAttr(shardKey(shard))},
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(min(limit+1, 1000))),
	}
	if after.Address != "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk >= :after")
		in.ExpressionAttributeNames["#sk"] = attrSK
		in.ExpressionAttributeValues[":after"] = strAttr(after.Address)
	}
	var out []store.Suppression
	for {
		page, err := s.api.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			it, err := decodeAddrItem(m)
			if err != nil {
				return nil, err
			}
			for _, v := range it.sorted() {
				if after.Less(v.Key()) {
					out = append(out, v)
				}
			}
			if len(out) >= limit {
				return out, nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
