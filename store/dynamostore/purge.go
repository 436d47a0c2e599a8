package dynamostore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Purge removes what expired by t: the suppressions whose non-zero
// ExpiresAt is at or before t, and the marks, bounce records and count
// buckets whose expiry is. It returns the number of suppressions removed.
//
// DynamoDB's TTL deletes expired items by itself, within a few days and at
// no cost, once TTL is enabled on the attribute "ttl" (see [CreateTable]);
// Purge is for a table without it, and for tests. It reads the whole
// table — a Query per suppression shard and one Scan — so schedule it
// rarely. Each suppression item is changed by the same conditional
// read-modify-write as Put, and each other item is deleted on condition
// that it is still expired, so Purge never removes what a concurrent
// writer renewed.
func (s *Store) Purge(ctx context.Context, t time.Time) (int, error) {
	if err := checkTime("time", t); err != nil {
		return 0, fmt.Errorf("dynamostore: purge: %w", err)
	}
	removed := 0
	for shard := range SuppressionShards {
		n, err := s.purgeShard(ctx, shard, t)
		removed += n
		if err != nil {
			return removed, fmt.Errorf("dynamostore: purge: %w", err)
		}
	}
	if err := s.purgeOthers(ctx, t); err != nil {
		return removed, fmt.Errorf("dynamostore: purge: %w", err)
	}
	return removed, nil
}

func (s *Store) purgeShard(ctx context.Context, shard int, t time.Time) (int, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": strAttr(shardKey(shard))},
	}
	removed := 0
	for {
		page, err := s.api.Query(ctx, in)
		if err != nil {
			return removed, err
		}
		for _, m := range page.Items {
			it, err := decodeAddrItem(m)
			if err != nil {
				return removed, err
			}
			if !it.anyExpired(t) {
				continue
			}
			n := 0
			if _, err := s.update(ctx, it.addr, func(it *addrItem) bool {
				n = 0
				for sc, v := range it.entries {
					if !v.ExpiresAt.IsZero() && v.Expired(t) {
						delete(it.entries, sc)
						n++
					}
				}
				return n > 0
			}); err != nil {
				return removed, err
			}
			removed += n
		}
		if len(page.LastEvaluatedKey) == 0 {
			return removed, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func (it addrItem) anyExpired(t time.Time) bool {
	for _, v := range it.entries {
		if v.Expired(t) {
			return true
		}
	}
	return false
}

// purgeOthers deletes the marks, bounce records and count buckets whose
// expiry (attrUntil, which suppression items lack) is at or before t.
func (s *Store) purgeOthers(ctx context.Context, t time.Time) error {
	names := map[string]string{"#pk": attrPK, "#sk": attrSK, "#u": attrUntil}
	values := map[string]types.AttributeValue{":t": numAttr(t.UnixNano())}
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("#u <= :t"),
		ProjectionExpression:      aws.String("#pk, #sk"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
	for {
		page, err := s.api.Scan(ctx, in)
		if err != nil {
			return err
		}
		for _, key := range page.Items {
			_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName:                 aws.String(s.table),
				Key:                       key,
				ConditionExpression:       aws.String("#u <= :t"),
				ExpressionAttributeNames:  map[string]string{"#u": attrUntil},
				ExpressionAttributeValues: values,
			})
			if err != nil && !conditionFailed(err) {
				return err
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
