package sesguard_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/testclock"
	"github.com/sesguard/sesguard/sestest"
)

// TestThrottledBulkEntriesAreResent: SES throttles the entries of a bulk
// send that find its rate bucket empty (ACCOUNT_THROTTLED); the Client
// sends those entries again after its backoff, and every entry is sent
// once.
func TestThrottledBulkEntriesAreResent(t *testing.T) {
	clk := testclock.New(time.Now())
	srv := sestest.RunT(t, func(o *sestest.Options) {
		o.Now = clk.Now
		o.Account.MaxSendRate = 1
		o.Templates = map[string]sestest.Template{"t": {Subject: "s", Text: "t"}}
	})
	c := newClient(t, srv.Client(sestest.NoRetries), func(o *sesguard.Options) {
		o.ThrottleBackoff = time.Second
		o.Now, o.Sleep = clk.Now, clk.Sleep
	})
	in := &sesv2.SendBulkEmailInput{
		FromEmailAddress: aws.String("sender@example.com"),
		DefaultContent:   &types.BulkEmailContent{Template: &types.Template{TemplateName: aws.String("t")}},
	}
	for _, to := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		in.BulkEmailEntries = append(in.BulkEmailEntries, types.BulkEmailEntry{Destination: &types.Destination{ToAddresses: []string{to}}})
	}
	out, err := c.SendBulkEmail(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, out.BulkEmailEntryResults, 3)
	ids := map[string]bool{}
	for i, r := range out.BulkEmailEntryResults {
		assert.Equal(t, types.BulkEmailStatusSuccess, r.Status, "entry %d: %s", i, aws.ToString(r.Error))
		ids[aws.ToString(r.MessageId)] = true
	}
	assert.Len(t, ids, 3, "each entry has its own message id")
	assert.Len(t, srv.Messages(), 3, "each entry was sent once")
	assert.Positive(t, srv.Quota().RateThrottles, "SES throttled no entry: the test did not exceed the rate")
}
