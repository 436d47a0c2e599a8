package sesstub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/sesstub"
)

func send(api *sesv2.Client, n int) error {
	to := make([]string, n)
	for i := range to {
		to[i] = fmt.Sprintf("r%d@example.com", i)
	}
	_, err := api.SendEmail(context.Background(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		Destination:      &types.Destination{ToAddresses: to},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Hi")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String("Hi")}},
		}},
	})
	return err
}

// TestTheEnvelope steps the stub at 10/s: in every window of w seconds at
// most 10w + 10 recipients.
func TestTheEnvelope(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	stub := sesstub.New(10, func() time.Time { return now })
	api := sesstub.Client(stub)
	ms := time.Millisecond
	steps := []struct {
		name string
		at   time.Duration
		n    int
		ok   bool
	}{
		{"a second's worth at once", 0, 10, true},
		{"not one more", 0, 1, false},
		{"one token later, one", 100 * ms, 1, true},
		{"but not two", 100 * ms, 1, false},
		{"a second later, a second's worth", 1100 * ms, 10, true},
		{"a 50-recipient message when the second's worth is back", 2100 * ms, 50, true},
		{"leaves the account in debt", 6100 * ms, 1, false},
		{"until 4.1 s later", 6200 * ms, 1, true},
		{"another sender's recipients count", 7200 * ms, 1, false},
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		if s.name == "another sender's recipients count" {
			stub.Take(10)
		}
		err := send(api, s.n)
		if s.ok {
			require.NoError(t, err, s.name)
			continue
		}
		var tooMany *types.TooManyRequestsException
		require.ErrorAs(t, err, &tooMany, s.name)
		assert.Equal(t, "Maximum sending rate exceeded.", tooMany.ErrorMessage(), s.name)
	}
	assert.Equal(t, 4, stub.Throttles())
	assert.Equal(t, 10+1+10+50+1, stub.Accepted(t0, now.Add(time.Second)), "the Client's recipients")
	q, err := api.GetAccount(context.Background(), &sesv2.GetAccountInput{})
	require.NoError(t, err)
	assert.Equal(t, 10.0, q.SendQuota.MaxSendRate)
	assert.Equal(t, float64(10+1+10+50+1+10), q.SendQuota.SentLast24Hours, "the account's, the other sender's too")
}
