package dynamostore

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesguard/sesguard/store"
)

// A counter's buckets live under one partition key, "cnt#" + name; each
// bucket is spread over shard items whose sort key is the bucket's start
// (bucketKey) and a shard number, so that one Query over a range of sort
// keys sums a time range.
func countKey(name string, bucket time.Time, shard int) map[string]types.AttributeValue {
	return itemKey(prefixCount+name, fmt.Sprintf("%s#%02d", bucketKey(bucket), shard))
}

// AddCount adds c.N to a shard of c's bucket, chosen at random, with an
// UpdateItem that ADDs to the shard's number: atomic in DynamoDB, and one
// round trip.
func (s *Store) AddCount(ctx context.Context, c store.Count) error {
	if err := checkCount(c); err != nil {
		return fmt.Errorf("dynamostore: add count: %w", err)
	}
	if err := s.addCount(ctx, c, rand.N(s.o.CounterShards), ""); err != nil {
		return fmt.Errorf("dynamostore: add count %q: %w", c.Name, err)
	}
	return nil
}

func checkCount(c store.Count) error {
	if err := checkKey("counter name", c.Name, c.Bucket); err != nil {
		return err
	}
	return checkTime("KeepUntil", c.KeepUntil)
}

// addCount adds c.N to shard of c's bucket, and keeps the bucket's expiry
// (attrUntil, and the TTL) at least at c.KeepUntil. With a member, the add
// is made once: the bucket item remembers the members it added in a string
// set, and an add whose member is there already fails its condition and
// changes nothing. The first try also sets the expiry, on condition that
// it is not later already; when that fails, the add is tried again without
// touching the expiry, which also tells a member already added.
func (s *Store) addCount(ctx context.Context, c store.Count, shard int, member string) error {
	names := map[string]string{"#n": attrN}
	values := map[string]types.AttributeValue{":n": numAttr(c.N)}
	update, cond := "ADD #n :n", ""
	if member != "" {
		names["#ids"] = attrIDs
		values[":m"] = &types.AttributeValueMemberSS{Value: []string{member}}
		values[":ms"] = strAttr(member)
		update += ", #ids :m"
		cond = "NOT contains(#ids, :ms)"
	}
	in := func(update, cond string, names map[string]string, values map[string]types.AttributeValue) *dynamodb.UpdateItemInput {
		in := &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       countKey(c.Name, c.Bucket, shard),
			UpdateExpression:          aws.String(update),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}
		if cond != "" {
			in.ConditionExpression = aws.String(cond)
		}
		return in
	}
	if !c.KeepUntil.IsZero() {
		n, v := maps.Clone(names), maps.Clone(values)
		n["#u"], n["#ttl"] = attrUntil, attrTTL
		v[":u"], v[":ttl"] = numAttr(c.KeepUntil.UnixNano()), ttlAttr(c.KeepUntil)
		raise := "(attribute_not_exists(#u) OR #u <= :u)"
		if cond != "" {
			raise = cond + " AND " + raise
		}
		_, err := s.api.UpdateItem(ctx, in(update+" SET #u = :u, #ttl = :ttl", raise, n, v))
		if !conditionFailed(err) {
			return err
		}
	}
	_, err := s.api.UpdateItem(ctx, in(update, cond, names, values))
	if conditionFailed(err) {
		return nil
	}
	return err
}

// SumCounts sums name's buckets that start in [from, to) with one Query
// (paginated past 1 MB) over the range of sort keys, strongly consistent.
// Its cost grows with the buckets and shards in the range: a day of
// 10-second buckets, each in up to CounterShards items, is read whole.
func (s *Store) SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error) {
	if err := checkKey("counter name", name, from, to); err != nil {
		return 0, fmt.Errorf("dynamostore: sum counts: %w", err)
	}
	if !from.Before(to) {
		return 0, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
		ProjectionExpression:     aws.String("#n"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK, "#sk": attrSK, "#n": attrN},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": strAttr(prefixCount + name),
			// A bucket's items sort after its bare key and before the
			// bare key of any later bucket.
			":lo": strAttr(bucketKey(from)),
			":hi": strAttr(bucketKey(to)),
		},
		ConsistentRead: aws.Bool(true),
	}
	var sum int64
	for {
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("dynamostore: sum counts of %q: %w", name, err)
		}
		for _, it := range out.Items {
			n, _, err := getNum(it, attrN)
			if err != nil {
				return 0, fmt.Errorf("dynamostore: sum counts of %q: %w", name, err)
			}
			sum += n
		}
		if len(out.LastEvaluatedKey) == 0 {
			return sum, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
