package dynamostore_test

import (
	"context"
	"iter"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/dynamostore"
)

func rowsOf(vs ...store.Suppression) iter.Seq2[store.Suppression, error] {
	return func(yield func(store.Suppression, error) bool) {
		for _, v := range vs {
			if !yield(v, nil) {
				return
			}
		}
	}
}

func reasons(t *testing.T, s store.Store, addrs ...string) map[string]store.Reason {
	t.Helper()
	got, err := s.Lookup(context.Background(), addrs)
	require.NoError(t, err)
	out := map[string]store.Reason{}
	for _, v := range got {
		out[v.Address+"/"+string(v.Scope)] = v.Reason
	}
	return out
}

func TestImportNeverWeakens(t *testing.T) {
	for _, conditional := range []bool{false, true} {
		name := map[bool]string{false: "BatchWriteItem", true: "Conditional"}[conditional]
		t.Run(name, func(t *testing.T) {
			s, direct, p := proxied(t, 1)
			ctx := context.Background()
			_, err := direct.Put(ctx, store.Suppression{Address: "held@example.com", Reason: store.ReasonBounce})
			require.NoError(t, err)
			_, err = direct.Put(ctx, store.Suppression{Address: "soft@example.com", Reason: store.ReasonSoftBounce})
			require.NoError(t, err)

			n, err := s.Import(ctx, rowsOf(
				store.Suppression{Address: "held@example.com", Reason: store.ReasonSoftBounce},
				store.Suppression{Address: "soft@example.com", Reason: store.ReasonComplaint},
				store.Suppression{Address: "new@example.com", Reason: store.ReasonBounce},
				store.Suppression{Address: "new@example.com", Scope: "news", Reason: store.ReasonUnsubscribe},
				store.Suppression{Address: "new@example.com", Reason: store.ReasonInvalid},
			), func(o *dynamostore.ImportOptions) { o.Conditional = conditional })
			require.NoError(t, err)
			assert.Equal(t, 5, n)
			assert.Equal(t, map[string]store.Reason{
				"held@example.com/":    store.ReasonBounce,
				"soft@example.com/":    store.ReasonComplaint,
				"new@example.com/":     store.ReasonBounce,
				"new@example.com/news": store.ReasonUnsubscribe,
			}, reasons(t, direct, "held@example.com", "soft@example.com", "new@example.com"))
			if conditional {
				assert.Zero(t, p.count("BatchWriteItem"))
			} else {
				assert.Equal(t, 1, p.count("BatchWriteItem"), "the new address in one batch")
			}
		})
	}
}

func TestImportKeepExisting(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	_, err := s.Put(ctx, store.Suppression{Address: "soft@example.com", Reason: store.ReasonSoftBounce})
	require.NoError(t, err)
	n, err := s.Import(ctx, rowsOf(
		store.Suppression{Address: "soft@example.com", Reason: store.ReasonBounce},
		store.Suppression{Address: "new@example.com", Reason: store.ReasonManual},
		store.Suppression{Address: "new@example.com", Reason: store.ReasonBounce},
	), func(o *dynamostore.ImportOptions) { o.KeepExisting = true })
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, map[string]store.Reason{
		"soft@example.com/": store.ReasonSoftBounce,
		"new@example.com/":  store.ReasonManual,
	}, reasons(t, s, "soft@example.com", "new@example.com"), "the stored one stays, and the first of seq's")
}

func TestImportStopsAtAnInvalidRow(t *testing.T) {
	s := newStore(t)
	n, err := s.Import(context.Background(), rowsOf(
		store.Suppression{Address: "first@example.com", Reason: store.ReasonBounce},
		store.Suppression{Address: "", Reason: store.ReasonBounce},
		store.Suppression{Address: "third@example.com", Reason: store.ReasonBounce},
	))
	require.ErrorIs(t, err, store.ErrInvalid)
	assert.ErrorContains(t, err, "row 1")
	assert.Equal(t, 1, n)
	assert.Equal(t, map[string]store.Reason{"first@example.com/": store.ReasonBounce},
		reasons(t, s, "first@example.com", "third@example.com"), "the rows before it are written")
}
