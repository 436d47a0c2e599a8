package dynamostore

import (
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The attribute names of the table. Every item has the two key attributes;
// the others belong to one kind of item (see the package documentation).
const (
	attrPK      = "pk"  // partition key (S)
	attrSK      = "sk"  // sort key (S)
	attrTTL     = "ttl" // DynamoDB TTL: Unix seconds, when AWS may delete the item
	attrVersion = "v"   // optimistic-lock version of read-modify-write items
	attrScopes  = "s"   // suppression item: scope key → entry
	attrUntil   = "u"   // marks, bounce records, count buckets: expiry in Unix ns
	attrBounces = "b"   // bounce record: bounce id → time in Unix ns
	attrLatest  = "t"   // bounce record: latest bounce time seen, Unix ns
	attrState   = "st"  // mark: statePending or stateDone
	attrToken   = "tok" // mark: the token of this generation of the mark
	attrCounts  = "c"   // mark: the counts to add, while pending
	attrN       = "n"   // count bucket: the sum
	attrIDs     = "ids" // count bucket: the adds of marks already applied

	// The fields of one suppression entry inside attrScopes.
	fieldReason  = "r"
	fieldDetail  = "d"
	fieldSource  = "src"
	fieldCreated = "ct" // Unix ns; absent for the zero time
	fieldExpires = "x"  // Unix ns; absent for never

	// The fields of one Count inside attrCounts.
	fieldName   = "name"
	fieldBucket = "bkt"
	fieldAdd    = "n"
	fieldKeep   = "keep"
	fieldShard  = "shard"
)

// The prefixes of the partition keys, one per kind of item, and the sort
// keys of the kinds that have one item per partition key.
const (
	prefixSuppressions = "sup#"
	prefixBounces      = "bnc#"
	prefixMark         = "mark#"
	prefixCount        = "cnt#"
	sortBounces        = "bnc"
	sortMark           = "mark"
	scopePrefix        = "@" // attrScopes' keys: "@" + scope, so that ScopeAll is "@"
)

// SuppressionShards is the number of partition keys the suppression items
// are spread over: an address's item lives under "sup#" and two hex digits
// of the FNV-1a hash of the address modulo SuppressionShards. It is part of
// the table's key schema and never changes.
const SuppressionShards = 16

// suppressionKey is the primary key of addr's suppression item.
func suppressionKey(addr string) map[string]types.AttributeValue {
	return itemKey(shardKey(shardOf(addr)), addr)
}

func shardOf(addr string) int {
	h := fnv.New32a()
	h.Write([]byte(addr))
	return int(h.Sum32() % SuppressionShards)
}

func shardKey(shard int) string { return fmt.Sprintf("%s%02x", prefixSuppressions, shard) }

func itemKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// bucketKey encodes t so that the keys of later times sort after those of
// earlier ones, byte by byte: the Unix nanoseconds with the sign bit
// flipped, in 20 decimal digits.
func bucketKey(t time.Time) string {
	return fmt.Sprintf("%020d", uint64(t.UnixNano())^(1<<63))
}

// The times the store can hold: those whose Unix nanoseconds fit an int64,
// the years 1678 to 2262.
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

func numAttr(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func strAttr(s string) *types.AttributeValueMemberS {
	return &types.AttributeValueMemberS{Value: s}
}

// ttlAttr is the DynamoDB TTL value for an item that may go at t: Unix
// seconds rounded up, so that AWS never deletes it early.
func ttlAttr(t time.Time) *types.AttributeValueMemberN {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return numAttr(s)
}

// getNum returns the integer in attribute name of m; ok is false when it is
// absent or not a number.
func getNum(m map[string]types.AttributeValue, name string) (n int64, ok bool, err error) {
	v, found := m[name].(*types.AttributeValueMemberN)
	if !found {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("attribute %s: %w", name, err)
	}
	return n, true, nil
}

func getStr(m map[string]types.AttributeValue, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// timeOf returns the time of Unix nanoseconds ns, and the zero time when
// the attribute was absent.
func timeOf(ns int64, ok bool) time.Time {
	if !ok {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
