package dynamostore

import (
	"context"
	"fmt"
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
// live in one item, a map from bounce id to time, changed by the
// conditional read-modify-write Put uses: a second record of the same id
// finds it there and changes nothing, and of concurrent writers each
// either writes on top of the other's record or reads again. Records
// older than twice the window before the latest time seen are dropped;
// the item's TTL is set to that latest time plus twice the window, so
// DynamoDB deletes an address's records once they no longer count.
func (s *Store) AddTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (int, error) {
	if err := checkKey("bounce id", id, t); err != nil {
		return 0, fmt.Errorf("dynamostore: add transient bounce: %w", err)
	}
	if err := checkText("address", addr, store.MaxAddressLen, true); err != nil {
		return 0, fmt.Errorf("dynamostore: add transient bounce: %w", err)
	}
	var n int
	_, err := s.rmw(ctx, bounceKey(addr), func(cur map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error) {
		recs, latest, err := decodeBounces(cur)
		if err != nil {
			return nil, false, err
		}
		_, known := recs[id]
		if !known {
			recs[id] = t
		}
		times := make([]time.Time, 0, len(recs))
		for _, at := range recs {
			times = append(times, at)
		}
		n = store.BounceWindow(times, recs[id], window)
		if known {
			return nil, false, nil
		}
		if t.After(latest) {
			latest = t
		}
		keep := latest.Add(-2 * window)
		b := make(map[string]types.AttributeValue, len(recs))
		for rid, at := range recs {
			if rid == id || !at.Before(keep) {
				b[rid] = numAttr(at.UnixNano())
			}
		}
		until := latest.Add(2 * window)
		return map[string]types.AttributeValue{
			attrBounces: &types.AttributeValueMemberM{Value: b},
			attrLatest:  numAttr(latest.UnixNano()),
			attrUntil:   numAttr(until.UnixNano()),
			attrTTL:     ttlAttr(until),
		}, true, nil
	})
	if err != nil {
		return 0, fmt.Errorf("dynamostore: add transient bounce of %q: %w", addr, err)
	}
	return n, nil
}

// decodeBounces reads a bounce record item; an absent one (nil) has none.
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
