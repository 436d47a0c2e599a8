package dynamostore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
)

// TestPutRoundTrips counts the requests of Puts: a new address is one
// conditional PutItem; an address that holds something costs a second
// one, and a GetItem only where the failed condition does not return the
// item (dynalite) — not on DynamoDB, which does.
func TestPutRoundTrips(t *testing.T) {
	for _, tt := range []struct {
		name     string
		old      fault
		wantGets int
	}{
		{"ItemNotReturned", pass, 1},
		{"ItemReturned", oldItem, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, p := proxied(t, 1)
			p.always("PutItem", tt.old)
			ctx := context.Background()
			written, err := s.Put(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonSoftBounce})
			require.NoError(t, err)
			require.True(t, written)
			assert.Equal(t, 1, p.count("PutItem"))
			assert.Zero(t, p.count("GetItem"))

			written, err = s.Put(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonBounce})
			require.NoError(t, err)
			require.True(t, written)
			assert.Equal(t, 3, p.count("PutItem"))
			assert.Equal(t, tt.wantGets, p.count("GetItem"))

			written, err = s.Put(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonBounce})
			require.NoError(t, err)
			assert.True(t, written, "an identical suppression is as good as written")
			assert.Equal(t, 4, p.count("PutItem"), "without a write of its own after the failed create")

			written, err = s.Put(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonSoftBounce})
			require.NoError(t, err)
			assert.False(t, written, "never weaker")
			got, err := s.Lookup(ctx, []string{"a@example.com"})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, store.ReasonBounce, got[0].Reason)
		})
	}
}
