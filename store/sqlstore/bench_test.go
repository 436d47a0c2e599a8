package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// bigRows is the size of the suppression list the lookup benchmarks read.
const bigRows = 1_000_000

func bigAddress(i int) string { return fmt.Sprintf("user%07d@example.com", i) }

// bigRowsSeq yields n suppressions numbered from 0.
func bigRowsSeq(n int) func(func(store.Suppression, error) bool) {
	return func(yield func(store.Suppression, error) bool) {
		for i := range n {
			s := store.Suppression{
				Address:   bigAddress(i),
				Reason:    store.ReasonBounce,
				Detail:    "Permanent/General: smtp; 550 5.1.1 user unknown",
				Source:    "ses-account-list",
				CreatedAt: epoch.Add(time.Duration(i) * time.Second),
			}
			if !yield(s, nil) {
				return
			}
		}
	}
}

type big struct {
	once sync.Once
	s    *sqlstore.Store
	err  error
}

var bigs sync.Map // backend name → *big

// bigStore returns the backend's store of bigRows suppressions, importing
// them on first use in this run; the tables go when the run ends.
func bigStore(b *testing.B, be backend) *sqlstore.Store {
	b.Helper()
	v, _ := bigs.LoadOrStore(be.name, new(big))
	bg := v.(*big)
	if be.env != "" {
		be.dsn(b, "") // skips b when the server is not configured
	}
	bg.once.Do(func() {
		ctx := context.Background()
		var dir string
		if be.env == "" {
			if dir, bg.err = os.MkdirTemp("", "sqlstore-bench"); bg.err != nil {
				return
			}
			atEnd(func() { os.RemoveAll(dir) })
		}
		dsn := be.dsn(b, dir)
		db, err := be.connect(dsn)
		if err != nil {
			bg.err = err
			return
		}
		atEnd(func() { db.Close() })
		p := prefix(b)
		s, err := sqlstore.New(ctx, db, func(o *sqlstore.Options) { o.TablePrefix = p })
		if err != nil {
			bg.err = err
			return
		}
		atEnd(func() { sqlstore.DropTables(ctx, s) })
		start := time.Now()
		n, err := s.Import(ctx, bigRowsSeq(bigRows))
		bg.s, bg.err = s, err
		b.Logf("%s: the %d-row table built once by Import at %.0f rows/s", be.name, bigRows, float64(n)/time.Since(start).Seconds())
	})
	if bg.err != nil {
		b.Fatalf("building the %d-row table: %v", bigRows, bg.err)
	}
	return bg.s
}

// reportLatency reports the 50th and 99th percentiles of ds.
func reportLatency(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	at := func(q float64) float64 {
		return float64(ds[int(q*float64(len(ds)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkLookup50 looks up 50 addresses, half of them suppressed, in a
// list of a million, one lookup at a time.
func BenchmarkLookup50(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := bigStore(b, be)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(1, 2))
			addrs := make([]string, 50)
			ds := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				for i := range addrs {
					if i%2 == 0 {
						addrs[i] = bigAddress(rng.IntN(bigRows))
					} else {
						addrs[i] = fmt.Sprintf("absent%07d@example.org", rng.IntN(bigRows))
					}
				}
				start := time.Now()
				got, err := s.Lookup(ctx, addrs)
				ds = append(ds, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if len(got) == 0 {
					b.Fatal("none of the suppressed addresses found")
				}
			}
			b.StopTimer()
			reportLatency(b, ds)
		})
	}
}

// BenchmarkImport imports b.N new suppressions into an empty list; the
// rows/s metric is the figure to read.
func BenchmarkImport(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := newStore(b, be.open(b))
			b.ResetTimer()
			n, err := s.Import(context.Background(), bigRowsSeq(b.N))
			b.StopTimer()
			if err != nil || n != b.N {
				b.Fatalf("Import = %d, %v; want %d", n, err, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkTransientBounces counts b.N transient bounces from 8 goroutines,
// spread over 64 addresses or all on one. Bounce i is at i milliseconds in
// a window of 256, so an address holds a bounded number of bounces however
// long the run. Afterwards one more bounce per address must count exactly
// the bounces in its window.
func BenchmarkTransientBounces(b *testing.B) {
	const (
		workers = 8
		window  = 256 * time.Millisecond
	)
	for _, be := range backends {
		for _, addresses := range []int{64, 1} {
			b.Run(fmt.Sprintf("%s/addresses=%d", be.name, addresses), func(b *testing.B) {
				s := newStore(b, be.open(b))
				ctx := context.Background()
				at := func(i int) time.Time { return epoch.Add(time.Duration(i) * time.Millisecond) }
				addr := func(i int) string { return fmt.Sprintf("soft%02d@example.com", i%addresses) }
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for range workers {
					wg.Go(func() {
						for {
							i := int(next.Add(1) - 1)
							if i >= b.N {
								return
							}
							if _, err := s.AddTransientBounce(ctx, addr(i), fmt.Sprint(i), at(i), window); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incr/s")
				// Bounce b.N+a of address a: the bounces that no later
				// bounce could have trimmed are those in its window.
				for a := range addresses {
					i := b.N + a
					want := 1
					for j := a; j < b.N; j += addresses {
						if at(j).After(at(i).Add(-window)) {
							want++
						}
					}
					n, err := s.AddTransientBounce(ctx, addr(a), fmt.Sprint(i), at(i), window)
					if err != nil {
						b.Fatal(err)
					}
					if n != want {
						b.Fatalf("address %d: count %d after %d concurrent adds, want %d", a, n, b.N, want)
					}
				}
			})
		}
	}
}
