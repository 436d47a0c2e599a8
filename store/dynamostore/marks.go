package dynamostore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesguard/sesguard/store"
)

// The states of a mark item.
const (
	statePending = "pending" // made, its counts not yet all added
	stateDone    = "done"    // applied
)

func markKey(id string) map[string]types.AttributeValue {
	return itemKey(prefixMark+id, sortMark)
}

// Applied reports whether id holds a mark that is done and has not expired
// at t. A pending mark — one whose maker has not yet added its counts —
// is not applied.
func (s *Store) Applied(ctx context.Context, id string, t time.Time) (bool, error) {
	if err := checkKey("notification id", id, t); err != nil {
		return false, fmt.Errorf("dynamostore: applied: %w", err)
	}
	m, err := s.getMark(ctx, id)
	if err != nil {
		return false, fmt.Errorf("dynamostore: applied %q: %w", id, err)
	}
	return m.live(t) && m.state == stateDone, nil
}

// MarkApplied marks id applied until expires and adds counts, exactly
// once, without transactions (DynamoDB's are not used, so that the store
// runs where they are missing, as on dynalite): the mark is made in two
// steps, and every step can be repeated without effect.
//
//  1. A conditional PutItem makes the mark pending — on condition that id
//     holds no mark unexpired at t — and stores in it the counts, each with
//     the counter shard it goes to, and a random token of this mark.
//  2. Each count is added to its shard with an UpdateItem that ADDs it and
//     puts token and count number into the shard's set of applied adds, on
//     condition that they are not there yet: an add made twice is made once.
//  3. A conditional UpdateItem turns the mark from pending with this token
//     to done. Of all the calls that reach this step, exactly one succeeds
//     and reports true.
//
// A call that finds a pending mark of another token (its maker crashed,
// lost its connection, or is still at work) finishes that mark's steps 2
// and 3 with the counts and token stored in it, so a mark left pending is
// completed by the redelivery of its notification, and its counts are
// added exactly once whoever adds them. A call that finds a done mark
// reports false and adds nothing. Without counts, step 1 makes the mark
// done at once.
func (s *Store) MarkApplied(ctx context.Context, id string, t, expires time.Time, counts ...store.Count) (bool, error) {
	if err := checkKey("notification id", id, t, expires); err != nil {
		return false, fmt.Errorf("dynamostore: mark applied: %w", err)
	}
	for _, c := range counts {
		if err := checkCount(c); err != nil {
			return false, fmt.Errorf("dynamostore: mark applied: %w", err)
		}
	}
	made, err := s.markApplied(ctx, id, t, expires, counts)
	if err != nil {
		return false, fmt.Errorf("dynamostore: mark applied %q: %w", id, err)
	}
	return made, nil
}

func (s *Store) markApplied(ctx context.Context, id string, t, expires time.Time, counts []store.Count) (bool, error) {
	m := mark{
		state:   stateDone,
		expires: expires,
		token:   strconv.FormatUint(rand.Uint64(), 36),
	}
	for _, c := range counts {
		m.counts = append(m.counts, shardCount{c, rand.N(s.o.CounterShards)})
	}
	if len(counts) > 0 {
		m.state = statePending
	}
	for attempt := range s.o.WriteAttempts {
		if attempt > 0 {
			if err := s.backoff(ctx, attempt-1); err != nil {
				return false, err
			}
		}
		_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 aws.String(s.table),
			Item:                      m.encode(id),
			ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #u <= :t"),
			ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#u": attrUntil},
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": numAttr(t.UnixNano())},
		})
		if err == nil {
			if m.state == stateDone {
				return true, nil
			}
			return s.finish(ctx, id, m)
		}
		if !conditionFailed(err) {
			return false, err
		}
		cur, err := s.getMark(ctx, id)
		if err != nil {
			return false, err
		}
		switch {
		case !cur.live(t):
			// It expired, or went, since the PutItem: make it again.
		case cur.state == stateDone:
			return false, nil
		default:
			return s.finish(ctx, id, cur)
		}
	}
	return false, errConflict
}

// finish adds the counts of pending mark m and turns it done (steps 2 and
// 3 of MarkApplied), reporting whether this call turned it.
func (s *Store) finish(ctx context.Context, id string, m mark) (bool, error) {
	for i, c := range m.counts {
		if err := s.addCount(ctx, c.Count, c.shard, m.token+"."+strconv.Itoa(i)); err != nil {
			return false, err
		}
	}
	_, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      markKey(id),
		UpdateExpression:         aws.String("SET #st = :done REMOVE #c"),
		ConditionExpression:      aws.String("#st = :pending AND #tok = :tok"),
		ExpressionAttributeNames: map[string]string{"#st": attrState, "#c": attrCounts, "#tok": attrToken},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":done":    strAttr(stateDone),
			":pending": strAttr(statePending),
			":tok":     strAttr(m.token),
		},
	})
	if conditionFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// mark is a mark item.
type mark struct {
	exists  bool
	state   string
	expires time.Time
	token   string
	counts  []shardCount // while pending
}

// shardCount is a count of a mark and the shard of its bucket it goes to.
type shardCount struct {
	store.Count
	shard int
}

// live reports whether m exists and has not expired at t.
func (m mark) live(t time.Time) bool { return m.exists && t.Before(m.expires) }

func (m mark) encode(id string) map[string]types.AttributeValue {
	item := markKey(id)
	item[attrState] = strAttr(m.state)
	item[attrUntil] = numAttr(m.expires.UnixNano())
	item[attrTTL] = ttlAttr(m.expires)
	item[attrToken] = strAttr(m.token)
	if len(m.counts) == 0 {
		return item
	}
	l := make([]types.AttributeValue, len(m.counts))
	for i, c := range m.counts {
		e := map[string]types.AttributeValue{
			fieldName:   strAttr(c.Name),
			fieldBucket: numAttr(c.Bucket.UnixNano()),
			fieldAdd:    numAttr(c.N),
			fieldShard:  numAttr(int64(c.shard)),
		}
		if !c.KeepUntil.IsZero() {
			e[fieldKeep] = numAttr(c.KeepUntil.UnixNano())
		}
		l[i] = &types.AttributeValueMemberM{Value: e}
	}
	item[attrCounts] = &types.AttributeValueMemberL{Value: l}
	return item
}

// getMark reads id's mark, strongly consistent.
func (s *Store) getMark(ctx context.Context, id string) (mark, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            markKey(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		return mark{}, err
	}
	m := mark{exists: true, state: getStr(out.Item, attrState), token: getStr(out.Item, attrToken)}
	u, _, err := getNum(out.Item, attrUntil)
	if err != nil {
		return m, err
	}
	m.expires = time.Unix(0, u)
	l, _ := out.Item[attrCounts].(*types.AttributeValueMemberL)
	if l == nil {
		return m, nil
	}
	for _, av := range l.Value {
		e, ok := av.(*types.AttributeValueMemberM)
		if !ok {
			return m, fmt.Errorf("mark %q: a count is not a map", out.Item[attrPK])
		}
		c := shardCount{Count: store.Count{Name: getStr(e.Value, fieldName)}}
		var nums [4]int64
		var present [4]bool
		for i, f := range []string{fieldBucket, fieldAdd, fieldKeep, fieldShard} {
			if nums[i], present[i], err = getNum(e.Value, f); err != nil {
				return m, err
			}
		}
		c.Bucket = time.Unix(0, nums[0])
		c.N = nums[1]
		c.KeepUntil = timeOf(nums[2], present[2])
		c.shard = int(nums[3])
		m.counts = append(m.counts, c)
	}
	return m, nil
}
