package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/faultstore"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
)

// TestApplyExactlyOnceUnderFaults runs the crash-after-each-step matrix of
// "Never lose a bounce" on the DynamoDB store, which has no Transactor: the
// Client applies a batch notification by notification, and each
// redelivered notification is applied exactly once.
func TestApplyExactlyOnceUnderFaults(t *testing.T) {
	faultstore.RunApplyMatrix(t, func(t *testing.T) store.Store { return newStore(t) })
}

// sender returns a Client that sends through sestest and keeps its list
// in s.
func sender(t *testing.T, s store.Store) (*sesguard.Client, *sestest.Server) {
	t.Helper()
	srv := sestest.RunT(t, func(o *sestest.Options) { o.Account = sestest.Account{MaxSendRate: 1e6, Max24HourSend: -1} })
	c, err := sesguard.New(srv.Client(sestest.NoRetries), func(o *sesguard.Options) { o.Store = s })
	require.NoError(t, err)
	return c, srv
}

// TestSendLooksUpInOneRoundTrip sends to 50 recipients, a third of them
// suppressed: the Client asks the table about all of them in one
// BatchGetItem, and only the others are mailed.
func TestSendLooksUpInOneRoundTrip(t *testing.T) {
	s, direct, p := proxied(t, 3)
	addrs, suppressed := recipients(t, direct, 50)
	c, srv := sender(t, s)
	_, err := c.Send(context.Background(), sendload.Simple(addrs...))
	require.NoError(t, err)
	assert.Equal(t, 1, p.count("BatchGetItem"))
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.Len(t, msgs[0].Recipients, 50-len(suppressed))
	for _, a := range suppressed {
		assert.NotContains(t, msgs[0].Recipients, a)
	}
}

// TestSendFailsClosedWhenThrottled throttles every BatchGetItem: once the
// SDK's retryer gives up, Send fails with the throttling error and mails
// no one.
func TestSendFailsClosedWhenThrottled(t *testing.T) {
	s, _, p := proxied(t, 3)
	p.always("BatchGetItem", throughput)
	c, srv := sender(t, s)
	_, err := c.Send(context.Background(), sendload.Simple("a@example.com", "b@example.com"))
	var pte *types.ProvisionedThroughputExceededException
	require.ErrorAs(t, err, &pte)
	assert.False(t, errors.Is(err, sesguard.ErrSuppressed))
	assert.Empty(t, srv.Messages(), "no blind send")
	assert.Equal(t, 3, p.count("BatchGetItem"))
}

// TestTwoClientsShareTheTable applies notifications through two Clients on
// one table at once, as concurrent instances of the Lambda function do:
// each delivery of a notification may apply its effects, which are
// idempotent, but its count reaches the breaker once, each transient
// bounce counts once, and a later redelivery is a duplicate.
func TestTwoClientsShareTheTable(t *testing.T) {
	s := newStore(t)
	var mu sync.Mutex
	decisions := map[sesguard.Action]int{}
	var clients []*sesguard.Client
	for range 2 {
		c, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) {
			o.Store = s
			o.Policy.OnDecision = func(_ context.Context, d sesguard.Decision) {
				mu.Lock()
				decisions[d.Action]++
				mu.Unlock()
			}
		})
		require.NoError(t, err)
		clients = append(clients, c)
	}
	bounce := func(id, kind, addr string) *sesguard.Notification {
		ns, err := sesguard.Parse(fmt.Appendf(nil, `{"notificationType":"Bounce","bounce":{"bounceType":%q,"bounceSubType":"General","feedbackId":%q,"bouncedRecipients":[{"emailAddress":%q}]},"mail":{"messageId":"m"}}`, kind, id, addr))
		require.NoError(t, err)
		return ns[0]
	}
	apply := func(ns ...*sesguard.Notification) {
		var wg sync.WaitGroup
		for i, n := range ns {
			wg.Go(func() {
				_, err := clients[i%2].Apply(context.Background(), n)
				assert.NoError(t, err)
			})
		}
		wg.Wait()
	}
	ctx := context.Background()
	suppressions := func(addr string) []store.Suppression {
		vs, err := clients[1].Suppressions(ctx, addr)
		require.NoError(t, err)
		return vs
	}

	hard := bounce("hard-1", "Permanent", "gone@example.com")
	apply(hard, hard, hard, hard, hard, hard)
	require.Len(t, suppressions("gone@example.com"), 1)
	now := time.Now()
	bounced, err := s.SumCounts(ctx, "sesguard:breaker:bounced", now.Add(-time.Hour), now.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(1), bounced, "one bounce delivered six times at once reaches the breaker once")
	decisions[sesguard.ActionDuplicate] = 0
	apply(hard)
	assert.Equal(t, 1, decisions[sesguard.ActionDuplicate], "a redelivery after the mark")

	soft1, soft2, soft3 := bounce("soft-1", "Transient", "full@example.com"),
		bounce("soft-2", "Transient", "full@example.com"), bounce("soft-3", "Transient", "full@example.com")
	apply(soft1, soft2, soft1, soft2)
	assert.Empty(t, suppressions("full@example.com"), "two transient bounces, each delivered twice, are two")
	apply(soft3, soft3)
	vs := suppressions("full@example.com")
	require.Len(t, vs, 1, "the third transient bounce suppresses")
	assert.Equal(t, store.ReasonSoftBounce, vs[0].Reason)
}
