package memstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

var ctx = context.Background()

func filled(tb testing.TB, n int) (*memstore.Store, []string) {
	tb.Helper()
	s := memstore.New()
	addrs := make([]string, n)
	for i := range n {
		addrs[i] = fmt.Sprintf("user%07d@example.com", i)
		if err := s.Put(ctx, store.Suppression{Address: addrs[i], Reason: store.ReasonBounce}); err != nil {
			tb.Fatal(err)
		}
	}
	return s, addrs
}

// TestReadersAndWritersAgree runs 16 readers against 2 writers; under -race
// it proves the locking, and it checks that readers never see a torn or
// foreign entry.
func TestReadersAndWritersAgree(t *testing.T) {
	s, addrs := filled(t, 10_000)
	var stop atomic.Bool
	var writers, readers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := 0; !stop.Load(); i++ {
				a := fmt.Sprintf("writer%d-%d@example.com", w, i%500)
				if err := s.Put(ctx, store.Suppression{Address: a, Reason: store.ReasonComplaint, Detail: a}); err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					if err := s.Delete(ctx, a); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	for r := range 16 {
		readers.Go(func() {
			for i := range 2_000 {
				batch := []string{addrs[(r*2000+i)%len(addrs)], fmt.Sprintf("writer%d-%d@example.com", r%2, i%500)}
				got, err := s.Lookup(ctx, batch)
				if err != nil {
					t.Error(err)
					return
				}
				if _, ok := got[batch[0]]; !ok {
					t.Errorf("%q vanished while writers ran", batch[0])
					return
				}
				if w, ok := got[batch[1]]; ok && (w.Address != batch[1] || w.Detail != batch[1]) {
					t.Errorf("entry for %q read as %+v", batch[1], w)
					return
				}
			}
		})
	}
	readers.Wait()
	stop.Store(true)
	writers.Wait()
}

// BenchmarkLookup measures Lookup in a store of 1M suppressions; ns/addr is
// the cost per address looked up.
func BenchmarkLookup(b *testing.B) {
	s, addrs := filled(b, 1_000_000)
	for _, n := range []int{1, 50} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			batch := make([]string, n)
			i := 0
			for b.Loop() {
				for j := range batch {
					// Half hits, half misses, spread over the whole store.
					if j%2 == 0 {
						batch[j] = addrs[(i*7919+j)%len(addrs)]
					} else {
						batch[j] = "missing" + addrs[(i*7919+j)%len(addrs)]
					}
				}
				i++
				if _, err := s.Lookup(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/addr")
		})
	}
	b.Run("parallel-16-readers-2-writers", func(b *testing.B) {
		var stop atomic.Bool
		var writers sync.WaitGroup
		for w := range 2 {
			writers.Go(func() {
				for i := 0; !stop.Load(); i++ {
					a := addrs[(i*31+w)%len(addrs)]
					if err := s.Put(ctx, store.Suppression{Address: a, Reason: store.ReasonBounce}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		b.SetParallelism(8) // 8 × GOMAXPROCS(2) = 16 readers
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			batch := make([]string, 1)
			i := 0
			for pb.Next() {
				batch[0] = addrs[(i*7919)%len(addrs)]
				i++
				if _, err := s.Lookup(ctx, batch); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		stop.Store(true)
		writers.Wait()
	})
}
