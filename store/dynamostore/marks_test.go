package dynamostore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
)

// TestPendingMarkIsFinishedByTheRedelivery stops MarkApplied after each of
// its writes in turn — the maker crashed or lost its connection there —
// and checks that the next call for the same id (the notification's
// redelivery) completes the mark and that every count is added once.
func TestPendingMarkIsFinishedByTheRedelivery(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	counts := []store.Count{
		{Name: "bounced", Bucket: at.Truncate(10 * time.Second), N: 2, KeepUntil: at.Add(48 * time.Hour)},
		{Name: "complained", Bucket: at.Truncate(10 * time.Second), N: 1, KeepUntil: at.Add(48 * time.Hour)},
	}
	// The UpdateItems of a mark with two counts: two adds, then the one
	// that turns the mark done. Failing the k-th leaves k-1 of them made.
	for k := 1; k <= 3; k++ {
		s, direct, p := proxied(t, 1)
		ctx := context.Background()
		faults := make([]fault, k)
		faults[k-1] = throughput
		p.queue("UpdateItem", faults...)
		made, err := s.MarkApplied(ctx, "n-1", at, at.Add(time.Hour), counts...)
		require.Error(t, err, "the maker fails at write %d", k)
		assert.False(t, made)

		applied, err := direct.Applied(ctx, "n-1", at)
		require.NoError(t, err)
		assert.False(t, applied, "a pending mark is not applied")

		made, err = direct.MarkApplied(ctx, "n-1", at.Add(time.Minute), at.Add(time.Hour), counts...)
		require.NoError(t, err)
		assert.True(t, made, "the redelivery finishes the mark")
		made, err = direct.MarkApplied(ctx, "n-1", at.Add(2*time.Minute), at.Add(time.Hour), counts...)
		require.NoError(t, err)
		assert.False(t, made, "once done, the mark is made")

		for _, c := range counts {
			n, err := direct.SumCounts(ctx, c.Name, c.Bucket, c.Bucket.Add(time.Second))
			require.NoError(t, err)
			assert.Equal(t, c.N, n, "%s after a failure at write %d", c.Name, k)
		}
	}
}

func TestMarkWithoutCountsIsOneWrite(t *testing.T) {
	s, _, p := proxied(t, 1)
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	made, err := s.MarkApplied(context.Background(), "n-2", at, at.Add(time.Hour))
	require.NoError(t, err)
	assert.True(t, made)
	assert.Equal(t, 1, p.count("PutItem"))
	assert.Zero(t, p.count("UpdateItem")+p.count("GetItem"))
}
