package memstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
		if _, err := s.Put(ctx, store.Suppression{Address: addrs[i], Reason: store.ReasonBounce}); err != nil {
			tb.Fatal(err)
		}
	}
	return s, addrs
}

// BenchmarkLookup measures Lookup of 50 addresses in stores of 10,000 and
// 1,000,000 suppressions, with none, a tenth or all of them suppressed;
// ns/addr is the cost per address. The addresses looked up are built apart
// from the stored ones, as a sender's are, so a hit compares two strings
// rather than two copies of one pointer.
func BenchmarkLookup(b *testing.B) {
	for _, size := range []int{10_000, 1_000_000} {
		s, _ := filled(b, size)
		for _, hitPercent := range []int{0, 10, 100} {
			batches := make([][]string, 64)
			for i := range batches {
				batches[i] = make([]string, 50)
				for j := range batches[i] {
					n := (i*50 + j) * 7919 % size
					if (i*50+j)%100 < hitPercent {
						batches[i][j] = fmt.Sprintf("user%07d@example.com", n)
					} else {
						batches[i][j] = fmt.Sprintf("nobody%07d@example.com", n)
					}
				}
			}
			b.Run(fmt.Sprintf("store=%d/hits=%d%%", size, hitPercent), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := s.Lookup(ctx, batches[i%len(batches)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*50), "ns/addr")
			})
		}
	}
	b.Run("store=1000000/parallel-16-readers-2-writers", func(b *testing.B) {
		s, addrs := filled(b, 1_000_000)
		var stop atomic.Bool
		var writers sync.WaitGroup
		for w := range 2 {
			writers.Go(func() {
				for i := 0; !stop.Load(); i++ {
					a := addrs[(i*31+w)%len(addrs)]
					if _, err := s.Put(ctx, store.Suppression{Address: a, Reason: store.ReasonBounce}); err != nil {
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
				batch[0] = fmt.Sprintf("user%07d@example.com", i*7919%len(addrs))
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

// BenchmarkApply measures the writes of applying one notification, from
// 2×GOMAXPROCS goroutines: a Put that never weakens, then a MarkApplied
// with two counts, each for its own address and id.
func BenchmarkApply(b *testing.B) {
	s, _ := filled(b, 100_000)
	var next atomic.Int64
	t := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	counts := []store.Count{
		{Name: "bench:bounced", Bucket: t, N: 1, KeepUntil: t.Add(time.Hour)},
		{Name: "bench:sent", Bucket: t, N: 1, KeepUntil: t.Add(time.Hour)},
	}
	b.SetParallelism(2)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			a := fmt.Sprintf("applied%09d@example.com", i)
			if _, err := s.Put(ctx, store.Suppression{Address: a, Reason: store.ReasonBounce, CreatedAt: t}); err != nil {
				b.Error(err)
				return
			}
			if _, err := s.MarkApplied(ctx, a, t, t.Add(time.Hour), counts...); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMemoryLatency is the machine's floor for a lookup that misses
// every cache: a chain of dependent reads at random over 128 MB. It puts
// the per-address figures of BenchmarkLookup in context.
func BenchmarkMemoryLatency(b *testing.B) {
	const n = 1 << 24
	next := make([]uint32, n)
	for i := range next {
		next[i] = uint32((uint64(i)*2654435761 + 1) % n)
	}
	x := uint32(1)
	for b.Loop() {
		x = next[x]
	}
	sink = x
}

// sink keeps BenchmarkMemoryLatency's chain of reads from being optimised
// away.
var sink uint32
