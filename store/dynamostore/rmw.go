package dynamostore

import (
	"context"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// rmw changes the item under key by optimistic locking, the way DynamoDB
// offers atomic read-modify-write without transactions: it reads the item
// (strongly consistent; nil when there is none), lets change compute the
// next one, and writes that with a condition that the item's version
// attribute is still the one read (that the item is still absent, for a
// new one). A write that loses the race to another writer fails its
// condition and changes nothing; rmw then reads again and calls change
// afresh, after a jittered backoff, at most WriteAttempts times.
//
// change reports false to leave the item as it is; it returns a nil item
// to delete it. rmw adds the key and the next version to the item, and
// reports whether it wrote.
func (s *Store) rmw(ctx context.Context, key map[string]types.AttributeValue, change func(cur map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error)) (bool, error) {
	for attempt := range s.o.WriteAttempts {
		if attempt > 0 {
			if err := s.backoff(ctx, attempt-1); err != nil {
				return false, err
			}
		}
		out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(s.table),
			Key:            key,
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return false, err
		}
		version, _, err := getNum(out.Item, attrVersion)
		if err != nil {
			return false, err
		}
		next, ok, err := change(out.Item)
		if err != nil || !ok {
			return false, err
		}
		if out.Item == nil && next == nil {
			return true, nil
		}
		cond := "attribute_not_exists(#pk)"
		names := map[string]string{"#pk": attrPK}
		var values map[string]types.AttributeValue
		if out.Item != nil {
			cond = "#v = :v"
			names = map[string]string{"#v": attrVersion}
			values = map[string]types.AttributeValue{":v": numAttr(version)}
		}
		if next == nil {
			_, err = s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName:                 aws.String(s.table),
				Key:                       key,
				ConditionExpression:       aws.String(cond),
				ExpressionAttributeNames:  names,
				ExpressionAttributeValues: values,
			})
		} else {
			item := maps.Clone(next)
			maps.Copy(item, key)
			item[attrVersion] = numAttr(version + 1)
			_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{
				TableName:                 aws.String(s.table),
				Item:                      item,
				ConditionExpression:       aws.String(cond),
				ExpressionAttributeNames:  names,
				ExpressionAttributeValues: values,
			})
		}
		if !conditionFailed(err) {
			return err == nil, err
		}
	}
	return false, errConflict
}
