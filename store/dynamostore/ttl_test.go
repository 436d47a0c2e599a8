package dynamostore_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/dynamostore"
)

// scanTTLs returns the "ttl" attribute of every item of table by its
// partition key; an item without one maps to "".
func scanTTLs(t *testing.T, api *dynamodb.Client, table string) map[string]string {
	t.Helper()
	out, err := api.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	require.NoError(t, err)
	ttls := map[string]string{}
	for _, it := range out.Items {
		pk := it["pk"].(*types.AttributeValueMemberS).Value
		ttls[pk] = ""
		if n, ok := it["ttl"].(*types.AttributeValueMemberN); ok {
			ttls[pk] = n.Value
		}
	}
	return ttls
}

// TestTTLNeverDeletesWhatStillHolds checks the Time to Live attribute
// that lets DynamoDB delete expired items: an address's item carries the
// latest expiry of its scopes, rounded up to the second, and none while
// one of them is permanent.
func TestTTLNeverDeletesWhatStillHolds(t *testing.T) {
	api := newClient(endpoint(t))
	table := newTable(t, api)
	st, err := dynamostore.New(api, table)
	require.NoError(t, err)
	ctx := context.Background()
	const a = "ttl@example.com"
	sup := func() string {
		for pk, ttl := range scanTTLs(t, api, table) {
			if pk[:4] == "sup#" {
				return ttl
			}
		}
		t.Fatal("no suppression item")
		return ""
	}
	put := func(scope store.Scope, expires time.Time) {
		_, err := st.Put(ctx, store.Suppression{Address: a, Scope: scope, Reason: store.ReasonUnsubscribe, ExpiresAt: expires})
		require.NoError(t, err)
	}

	put("news", time.Unix(1_800_000_000, 1))
	assert.Equal(t, "1800000001", sup(), "rounded up: never before the expiry")
	put("offers", time.Unix(1_900_000_000, 0))
	assert.Equal(t, "1900000000", sup(), "the latest expiry of the scopes")
	put(store.ScopeAll, time.Time{})
	assert.Equal(t, "", sup(), "a permanent scope: no TTL")
	require.NoError(t, st.Delete(ctx, store.Key{Address: a}))
	assert.Equal(t, "1900000000", sup())

	at := time.Unix(1_800_000_000, 0)
	_, err = st.AddTransientBounce(ctx, a, "b-1", at, time.Hour)
	require.NoError(t, err)
	_, err = st.MarkApplied(ctx, "n-1", at, at.Add(24*time.Hour))
	require.NoError(t, err)
	require.NoError(t, st.AddCount(ctx, store.Count{Name: "sent", Bucket: at, N: 1, KeepUntil: at.Add(25 * time.Hour)}))
	ttls := scanTTLs(t, api, table)
	assert.Equal(t, "1800007200", ttls["bnc#"+a], "bounce records: the latest plus twice the window")
	assert.Equal(t, "1800086400", ttls["mark#n-1"], "a mark: its expiry")
	assert.Equal(t, "1800090000", ttls["cnt#sent"], "a bucket: its KeepUntil")
}

func TestCreateTableTwiceIsNoError(t *testing.T) {
	api := newClient(endpoint(t))
	table := newTable(t, api)
	require.NoError(t, dynamostore.CreateTable(context.Background(), api, table, func(o *dynamostore.TableOptions) { o.SkipTTL = true }))
}
