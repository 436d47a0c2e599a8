package memstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/faultstore"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
	"github.com/sesguard/sesguard/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memstore.New() })
}

func TestConformanceWithoutTransactor(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return faultstore.WithoutTransactor(memstore.New()) })
}

func has(t *testing.T, s *memstore.Store, addr string) bool {
	t.Helper()
	got, err := s.Lookup(context.Background(), []string{addr})
	require.NoError(t, err)
	return len(got) > 0
}

// TestFilterSurvivesGrowthAndDeletion drives the per-shard filters through
// growth, stale-bit rebuilds and a purge; a filter that forgot an address
// would make a stored suppression invisible.
func TestFilterSurvivesGrowthAndDeletion(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	addr := func(i int) string { return fmt.Sprintf("a%05d@example.com", i) }
	for i := range 5000 {
		_, err := s.Put(ctx, store.Suppression{Address: addr(i), Reason: store.ReasonBounce})
		require.NoError(t, err)
	}
	for i := range 4000 {
		require.NoError(t, s.Delete(ctx, store.Key{Address: addr(i)}))
	}
	for i := range 5000 {
		require.Equal(t, i >= 4000, has(t, s, addr(i)), "after deleting 4000 of 5000: %s", addr(i))
	}
	for i := range 2000 {
		_, err := s.Put(ctx, store.Suppression{Address: addr(i), Reason: store.ReasonManual})
		require.NoError(t, err)
	}
	for i := range 5000 {
		require.Equal(t, i < 2000 || i >= 4000, has(t, s, addr(i)), "after re-adding: %s", addr(i))
	}
	expired := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 4000; i < 4500; i++ {
		require.NoError(t, s.Delete(ctx, store.Key{Address: addr(i)}))
		written, err := s.Put(ctx, store.Suppression{Address: addr(i), Reason: store.ReasonBounce, CreatedAt: expired, ExpiresAt: expired})
		require.NoError(t, err)
		require.True(t, written)
	}
	n, err := s.Purge(ctx, expired)
	require.NoError(t, err)
	require.Equal(t, 500, n)
	for i := range 5000 {
		require.Equal(t, i < 2000 || i >= 4500, has(t, s, addr(i)), "after purge: %s", addr(i))
	}
}

// TestReadersAndWritersAgree runs 16 readers against 2 writers; under -race
// it proves the locking, and it checks that readers never see a torn or
// foreign entry.
func TestReadersAndWritersAgree(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	addrs := make([]string, 10_000)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("user%07d@example.com", i)
		_, err := s.Put(ctx, store.Suppression{Address: addrs[i], Reason: store.ReasonBounce})
		require.NoError(t, err)
	}
	var stop atomic.Bool
	var writers, readers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := 0; !stop.Load(); i++ {
				a := fmt.Sprintf("writer%d-%d@example.com", w, i%500)
				scope := store.Scope(fmt.Sprint("list", i%3))
				if _, err := s.Put(ctx, store.Suppression{Address: a, Scope: scope, Reason: store.ReasonComplaint, Detail: a}); !assert.NoError(t, err) {
					return
				}
				if i%3 == 0 && !assert.NoError(t, s.Delete(ctx, store.Key{Address: a, Scope: scope})) {
					return
				}
			}
		})
	}
	for r := range 16 {
		readers.Go(func() {
			for i := range 2_000 {
				batch := []string{addrs[(r*2000+i)%len(addrs)], fmt.Sprintf("writer%d-%d@example.com", r%2, i%500)}
				got, err := s.Lookup(ctx, batch)
				if !assert.NoError(t, err) {
					return
				}
				stored := false
				for _, g := range got {
					switch g.Address {
					case batch[0]:
						stored = true
					case batch[1]:
						if !assert.Equal(t, batch[1], g.Detail, "entry read torn") {
							return
						}
					default:
						assert.Fail(t, "Lookup returned an address not asked for", g.Address)
						return
					}
				}
				if !assert.True(t, stored, "%q vanished while writers ran", batch[0]) {
					return
				}
			}
		})
	}
	readers.Wait()
	stop.Store(true)
	writers.Wait()
}

// TestTransactionIsAppliedWhole checks that a reader never sees part of a
// committed transaction: a mark without the suppression written before it.
func TestTransactionIsAppliedWhole(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var done atomic.Bool
	var reader sync.WaitGroup
	reader.Go(func() {
		for i := 0; !done.Load(); i = (i + 1) % 200 {
			id := fmt.Sprint("n", i)
			marked, err := s.Applied(ctx, id, at)
			if !assert.NoError(t, err) {
				return
			}
			if marked && !assert.True(t, has(t, s, id+"@example.com"), "mark of %s seen without its suppression", id) {
				return
			}
		}
	})
	for i := range 200 {
		id := fmt.Sprint("n", i)
		require.NoError(t, s.InTx(ctx, func(tx store.Store) error {
			if _, err := tx.Put(ctx, store.Suppression{Address: id + "@example.com", Reason: store.ReasonBounce, CreatedAt: at}); err != nil {
				return err
			}
			_, err := tx.(store.Deduper).MarkApplied(ctx, id, at, at.Add(time.Hour))
			return err
		}))
	}
	done.Store(true)
	reader.Wait()
}

// TestTransactionRejudgesAtCommit checks that a write made outside a
// transaction while it ran is never weakened by the commit.
func TestTransactionRejudgesAtCommit(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	err := s.InTx(ctx, func(tx store.Store) error {
		soft := store.Suppression{Address: "a@example.com", Reason: store.ReasonSoftBounce, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
		written, err := tx.Put(ctx, soft)
		require.True(t, written)
		require.NoError(t, err)
		_, err = s.Put(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonBounce, CreatedAt: at})
		require.NoError(t, err)
		ok, err := tx.(store.Deduper).MarkApplied(ctx, "id", at, at.Add(time.Hour), store.Count{Name: "c", Bucket: at, N: 1})
		require.True(t, ok)
		require.NoError(t, err)
		_, err = s.MarkApplied(ctx, "id", at, at.Add(time.Hour), store.Count{Name: "c", Bucket: at, N: 1})
		return err
	})
	require.NoError(t, err)
	got, err := s.Lookup(ctx, []string{"a@example.com"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, store.ReasonBounce, got[0].Reason)
	assert.True(t, got[0].ExpiresAt.IsZero())
	n, err := s.SumCounts(ctx, "c", at, at.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "a mark made twice, in and out of a transaction, counted twice")
}
