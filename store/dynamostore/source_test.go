package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
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

// teamTable creates a table as a hand-written pipeline keeps one — keyed by
// the attribute "email" alone — holding items, and drops it when t ends.
func teamTable(t *testing.T, api *dynamodb.Client, items ...map[string]types.AttributeValue) string {
	t.Helper()
	name := fmt.Sprintf("team-%d", tables.Add(1))
	ctx := context.Background()
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("email"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("email"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := api.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		require.NoError(t, err)
	})
	waiter := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	require.NoError(t, waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute))
	for _, it := range items {
		_, err := api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: it})
		require.NoError(t, err)
	}
	return name
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func TestSourceIsReadBesideTheStore(t *testing.T) {
	ep := endpoint(t)
	api := newClient(ep)
	team := teamTable(t, api,
		map[string]types.AttributeValue{"email": s("gone@example.com"), "kind": s("COMPLAINT"), "why": s("abuse report")},
		map[string]types.AttributeValue{"email": s("old@example.com"), "until": &types.AttributeValueMemberN{Value: "1700000000"}},
		map[string]types.AttributeValue{"email": s("both@example.com")},
	)
	p := newFaultProxy(t, ep)
	st, err := dynamostore.New(newClient(p.srv.URL), newTable(t, api), func(o *dynamostore.Options) {
		o.Sources = []dynamostore.Source{{
			Table:            team,
			KeyAttribute:     "email",
			ReasonAttribute:  "kind",
			DetailAttribute:  "why",
			ExpiresAttribute: "until",
		}}
	})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = st.Put(ctx, store.Suppression{Address: "both@example.com", Reason: store.ReasonSoftBounce, ExpiresAt: time.Unix(1_800_000_000, 0)})
	require.NoError(t, err)
	_, err = st.Put(ctx, store.Suppression{Address: "mine@example.com", Reason: store.ReasonBounce})
	require.NoError(t, err)

	var addrs []string
	for i := range 46 {
		addrs = append(addrs, fmt.Sprintf("ok%02d@example.com", i))
	}
	addrs = append(addrs, "gone@example.com", "old@example.com", "both@example.com", "mine@example.com")
	got, err := st.Lookup(ctx, addrs)
	require.NoError(t, err)
	assert.Equal(t, 1, p.count("BatchGetItem"), "50 recipients and one source are 100 keys: one round trip")

	by := map[string]store.Suppression{}
	for _, v := range got {
		require.NotContains(t, by, v.Address, "one suppression per key")
		by[v.Address] = v
	}
	require.Len(t, by, 4)
	assert.Equal(t, store.Suppression{Address: "gone@example.com", Reason: store.ReasonComplaint, Detail: "abuse report", Source: "dynamodb:" + team}, by["gone@example.com"])
	assert.Equal(t, time.Unix(1_700_000_000, 0).UTC(), by["old@example.com"].ExpiresAt, "the table's TTL attribute is the expiry")
	assert.Equal(t, store.ReasonBounce, by["both@example.com"].Reason, "the source's permanent bounce is stronger than the store's soft bounce")
	assert.Equal(t, store.ReasonBounce, by["mine@example.com"].Reason)

	require.NoError(t, st.Delete(ctx, store.Key{Address: "gone@example.com"}))
	got, err = st.Lookup(ctx, []string{"gone@example.com"})
	require.NoError(t, err)
	assert.Len(t, got, 1, "a source is read-only: Delete cannot lift what it lists")
}

func TestImportASourceOnce(t *testing.T) {
	api := newClient(endpoint(t))
	team := teamTable(t, api,
		map[string]types.AttributeValue{"email": s("Mixed.Case@EXAMPLE.com")},
		map[string]types.AttributeValue{"email": s("not an address")},
		map[string]types.AttributeValue{"email": s("plain@example.com"), "kind": s("COMPLAINT")},
	)
	st, err := dynamostore.New(api, newTable(t, api))
	require.NoError(t, err)
	ctx := context.Background()
	src := dynamostore.Source{Table: team, KeyAttribute: "email", ReasonAttribute: "kind"}

	n, err := st.Import(ctx, dynamostore.ScanSource(ctx, api, src))
	require.ErrorIs(t, err, store.ErrInvalid, "an address sesguard cannot use stops the import")
	assert.Less(t, n, 3)

	var skipped []error
	n, err = st.Import(ctx, skipInvalid(dynamostore.ScanSource(ctx, api, src), func(err error) { skipped = append(skipped, err) }))
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	require.Len(t, skipped, 1)
	assert.ErrorContains(t, skipped[0], `"not an address"`)

	got, err := st.Lookup(ctx, []string{"mixed.case@example.com", "plain@example.com"})
	require.NoError(t, err)
	assert.Equal(t, []string{"mixed.case@example.com", "plain@example.com"}, addresses(got), "imported in canonical form")
	for _, v := range got {
		if v.Address == "plain@example.com" {
			assert.Equal(t, store.ReasonComplaint, v.Reason)
		}
	}
}

// skipInvalid passes on the rows of seq but those with an error that wraps
// store.ErrInvalid, which it hands to skipped.
func skipInvalid(seq iter.Seq2[store.Suppression, error], skipped func(error)) iter.Seq2[store.Suppression, error] {
	return func(yield func(store.Suppression, error) bool) {
		for v, err := range seq {
			if errors.Is(err, store.ErrInvalid) {
				skipped(err)
				continue
			}
			if !yield(v, err) {
				return
			}
		}
	}
}
