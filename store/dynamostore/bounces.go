package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesguard/sesguard/store"
)

func bounceKey(addr string) map[string]types.AttributeValue {
	return itemKey(prefixBounces+addr, sortBounces)
}

// AddTransientBounce records the transient bounce id of addr at t, once,
// and returns [store.BounceWindow] of addr's records at t. addr's records
// live in one item: "b" maps each bounce id to its time, "t" is the latest
// time recorded, and "u" and the TTL are that time plus twice the window,
// when the records stop counting and DynamoDB may delete them.
//
// Each step is one atomic write that needs no retry however many processes
// add bounces to the address at once:
//
//  1. A PutItem creates the item with this record, on condition that there
//     is none: the first bounce of an address is one round trip.
//  2. Otherwise an UpdateItem sets b.id to t if it is not set yet
//     (if_not_exists, so a second record of the id changes nothing) and
//     returns the item, in which the window is counted. It also moves the
//     latest time, "u" and the TTL forward, on condition that t is later
//     than the latest time; when t is not, the UpdateItem is sent again
//     without that part.
//
// Records older than twice the window before the latest time are then
// removed, by an UpdateItem of their own; a crash before it leaves them
// for the next add, or for the TTL.
func (s *Store) AddTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (int, error) {
	if err := checkText("address", addr, store.MaxAddressLen, true); err != nil {
		return 0, fmt.Errorf("dynamostore: add transient bounce: %w", err)
	}
	if err := checkKey("bounce id", id, t); err != nil {
		return 0, fmt.Errorf("dynamostore: add transient bounce: %w", err)
	}
	n, err := s.addBounce(ctx, addr, id, t, window)
	if err != nil {
		return 0, fmt.Errorf("dynamostore: add transient bounce of %q: %w", addr, err)
	}
	return n, nil
}

func (s *Store) addBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (int, error) {
	until := t.Add(2 * window)
	for attempt := range s.o.WriteAttempts {
		if attempt > 0 {
			if err := s.backoff(ctx, attempt-1); err != nil {
				return 0, err
			}
		}
		_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.table),
			Item: map[string]types.AttributeValue{
				attrPK:      strAttr(prefixBounces + addr),
				attrSK:      strAttr(sortBounces),
				attrBounces: &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{id: numAttr(t.UnixNano())}},
				attrLatest:  numAttr(t.UnixNano()),
				attrUntil:   numAttr(until.UnixNano()),
				attrTTL:     ttlAttr(until),
			},
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		})
		if err == nil {
			return 1, nil
		}
		if !conditionFailed(err) {
			return 0, err
		}
		item, err := s.recordBounce(ctx, addr, id, t, until)
		if errors.Is(err, errGone) {
			continue // cleared since the PutItem: create it again
		}
		if err != nil {
			return 0, err
		}
		recs, latest, err := decodeBounces(item)
		if err != nil {
			return 0, err
		}
		times := make([]time.Time, 0, len(recs))
		var old []string
		for rid, at := range recs {
			times = append(times, at)
			if at.Before(latest.Add(-2*window)) && rid != id {
				old = append(old, rid)
			}
		}
		n := store.BounceWindow(times, recs[id], window)
		return n, s.forgetBounces(ctx, addr, old)
	}
	return 0, errConflict
}

// errGone is recordBounce's answer when addr has no record item.
var errGone = errors.New("no bounce records")

// recordBounce sets the record id of addr's item to t unless it is set,
// and moves the item's latest time and expiry forward to t and until when
// they are earlier. It returns the item as it is after.
func (s *Store) recordBounce(ctx context.Context, addr, id string, t, until time.Time) (map[string]types.AttributeValue, error) {
	names := map[string]string{"#b": attrBounces, "#id": id}
	values := map[string]types.AttributeValue{":t": numAttr(t.UnixNano())}
	update := "SET #b.#id = if_not_exists(#b.#id, :t)"
	in := func(update, cond string, names map[string]string, values map[string]types.AttributeValue) *dynamodb.UpdateItemInput {
		return &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       bounceKey(addr),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
			ReturnValues:              types.ReturnValueAllNew,
		}
	}
	later, laterValues := maps.Clone(names), maps.Clone(values)
	maps.Copy(later, map[string]string{"#l": attrLatest, "#u": attrUntil, "#ttl": attrTTL})
	maps.Copy(laterValues, map[string]types.AttributeValue{":u": numAttr(until.UnixNano()), ":ttl": ttlAttr(until)})
	out, err := s.api.UpdateItem(ctx, in(update+", #l = :t, #u = :u, #ttl = :ttl", "attribute_exists(#b) AND #l < :t", later, laterValues))
	if conditionFailed(err) {
		out, err = s.api.UpdateItem(ctx, in(update, "attribute_exists(#b)", names, values))
	}
	if conditionFailed(err) {
		return nil, errGone
	}
	if err != nil {
		return nil, err
	}
	return out.Attributes, nil
}

// forgetBounces removes the records ids of addr, if the item is still there.
func (s *Store) forgetBounces(ctx context.Context, addr string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	names := map[string]string{"#pk": attrPK, "#b": attrBounces}
	update := "REMOVE "
	for i, id := range ids {
		k := fmt.Sprintf("#r%d", i)
		names[k] = id
		if i > 0 {
			update += ", "
		}
		update += "#b." + k
	}
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      bounceKey(addr),
		UpdateExpression:         aws.String(update),
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: names,
	})
	if conditionFailed(err) {
		return nil
	}
	return err
}

// decodeBounces reads a bounce record item: its records by id and the
// latest time recorded.
func decodeBounces(m map[string]types.AttributeValue) (map[string]time.Time, time.Time, error) {
	recs := make(map[string]time.Time)
	latest, ok, err := getNum(m, attrLatest)
	if err != nil {
		return nil, time.Time{}, err
	}
	b, _ := m[attrBounces].(*types.AttributeValueMemberM)
	if b == nil {
		return recs, timeOf(latest, ok), nil
	}
	for id := range b.Value {
		ns, _, err := getNum(b.Value, id)
		if err != nil {
			return nil, time.Time{}, err
		}
		recs[id] = time.Unix(0, ns)
	}
	return recs, timeOf(latest, ok), nil
}

// ClearTransientBounces deletes addr's bounce records.
func (s *Store) ClearTransientBounces(ctx context.Context, addr string) error {
	if !storable(addr) {
		return nil
	}
	_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table),
		Key:       bounceKey(addr),
	})
	if err != nil {
		return fmt.Errorf("dynamostore: clear transient bounces of %q: %w", addr, err)
	}
	return nil
}
