package memstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
	"github.com/sesguard/sesguard/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memstore.New() })
}

// TestFilterSurvivesGrowthAndDeletion drives the per-shard filters through
// growth, stale-bit rebuilds and a purge; a filter that forgot an address
// would make a stored suppression invisible.
func TestFilterSurvivesGrowthAndDeletion(t *testing.T) {
	s := memstore.New()
	addr := func(i int) string { return fmt.Sprintf("a%05d@example.com", i) }
	present := func(i int) bool {
		got, err := s.Lookup(context.Background(), []string{addr(i)})
		if err != nil {
			t.Fatal(err)
		}
		_, ok := got[addr(i)]
		return ok
	}
	for i := range 5000 {
		if err := s.Put(context.Background(), store.Suppression{Address: addr(i), Reason: store.ReasonBounce}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4000 {
		if err := s.Delete(context.Background(), addr(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5000 {
		if want := i >= 4000; present(i) != want {
			t.Fatalf("after deleting 4000 of 5000: %s present=%v, want %v", addr(i), !want, want)
		}
	}
	for i := range 2000 {
		if err := s.Put(context.Background(), store.Suppression{Address: addr(i), Reason: store.ReasonManual}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5000 {
		if want := i < 2000 || i >= 4000; present(i) != want {
			t.Fatalf("after re-adding: %s present=%v, want %v", addr(i), !want, want)
		}
	}
	expired := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 4000; i < 4500; i++ {
		if err := s.Put(context.Background(), store.Suppression{Address: addr(i), ExpiresAt: expired}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Purge(context.Background(), expired); err != nil || n != 500 {
		t.Fatalf("Purge = %d, %v; want 500", n, err)
	}
	for i := range 5000 {
		if want := i < 2000 || i >= 4500; present(i) != want {
			t.Fatalf("after purge: %s present=%v, want %v", addr(i), !want, want)
		}
	}
}
