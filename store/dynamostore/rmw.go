package dynamostore

import (
	"context"
	"errors"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// rmw changes the item under key by optimistic locking, the way DynamoDB
// offers atomic read-modify-write without transactions: change computes
// the next item from the current one (nil when there is none), and the
// next is written with a condition that the item's version attribute is
// still the one change saw (that the item is still absent, for a new one).
// A write that loses the race to another writer fails its condition and
// changes nothing; rmw then calls change afresh on the item as it is now,
// after a jittered backoff, at most WriteAttempts times.
//
// Most writes create their item (the first bounce of an address, the first
// suppression), so rmw first assumes that there is none and writes what
// change makes of nothing, in one round trip. When an item is there, the
// failed condition returns it (ReturnValuesOnConditionCheckFailure, where
// the server supports it; a strongly consistent GetItem otherwise) and rmw
// goes on from it. A change that would do nothing to a missing item
// (removing something) reads first.
//
// change reports false to leave the item as it is; it returns a nil item
// to delete it. rmw adds the key and the next version to the item, and
// reports whether it wrote.
func (s *Store) rmw(ctx context.Context, key map[string]types.AttributeValue, change func(cur map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error)) (bool, error) {
	var cur map[string]types.AttributeValue
	known := false // cur is the item as the last failed condition found it
	next, ok, err := change(nil)
	if err != nil {
		return false, err
	}
	if ok && next != nil {
		wrote, old, err := s.writeVersion(ctx, key, nil, next)
		if wrote || err != nil {
			return wrote, err
		}
		cur, known = old, old != nil
	}
	for attempt := range s.o.WriteAttempts {
		if attempt > 0 {
			if err := s.backoff(ctx, attempt-1); err != nil {
				return false, err
			}
		}
		if !known {
			out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
				TableName:      aws.String(s.table),
				Key:            key,
				ConsistentRead: aws.Bool(true),
			})
			if err != nil {
				return false, err
			}
			cur = out.Item
		}
		next, ok, err := change(cur)
		if err != nil || !ok {
			return false, err
		}
		if cur == nil && next == nil {
			return true, nil
		}
		wrote, old, err := s.writeVersion(ctx, key, cur, next)
		if wrote || err != nil {
			return wrote, err
		}
		cur, known = old, old != nil
	}
	return false, errConflict
}

// writeVersion replaces cur, the item under key, with next (deletes it, if
// next is nil), on condition that the item is still at cur's version (still
// absent, if cur is nil). It reports whether it wrote and, when the
// condition failed, the item as the server found it, if it returned it.
func (s *Store) writeVersion(ctx context.Context, key, cur, next map[string]types.AttributeValue) (bool, map[string]types.AttributeValue, error) {
	version, _, err := getNum(cur, attrVersion)
	if err != nil {
		return false, nil, err
	}
	cond := "attribute_not_exists(#pk)"
	names := map[string]string{"#pk": attrPK}
	var values map[string]types.AttributeValue
	if cur != nil {
		cond = "#v = :v"
		names = map[string]string{"#v": attrVersion}
		values = map[string]types.AttributeValue{":v": numAttr(version)}
	}
	if next == nil {
		_, err = s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                           aws.String(s.table),
			Key:                                 key,
			ConditionExpression:                 aws.String(cond),
			ExpressionAttributeNames:            names,
			ExpressionAttributeValues:           values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
	} else {
		item := maps.Clone(next)
		maps.Copy(item, key)
		item[attrVersion] = numAttr(version + 1)
		_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                           aws.String(s.table),
			Item:                                item,
			ConditionExpression:                 aws.String(cond),
			ExpressionAttributeNames:            names,
			ExpressionAttributeValues:           values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
	}
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		if len(cf.Item) == 0 {
			return false, nil, nil
		}
		return false, cf.Item, nil
	}
	return err == nil, nil, err
}
