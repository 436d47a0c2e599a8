package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// TestAbilitiesAreAtomicAcrossHandles shares one set of tables between
// Stores on separate handles, as separate processes would, and races them.
func TestAbilitiesAreAtomicAcrossHandles(t *testing.T) {
	const handles, perHandle, each = 4, 4, 10
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			p := prefix(t)
			withPrefix := func(o *sqlstore.Options) { o.TablePrefix = p }
			path := filepath.Join(t.TempDir(), "shared.db")
			stores := make([]*sqlstore.Store, handles)
			for i := range stores {
				var db *sql.DB
				if b.env == "" {
					db = openSQLiteFile(t, path)
				} else {
					db = b.open(t)
					db.SetMaxOpenConns(perHandle)
				}
				if i == 0 {
					stores[i] = newStore(t, db, withPrefix)
					continue
				}
				s, err := sqlstore.New(ctx, db, withPrefix)
				if err != nil {
					t.Fatal(err)
				}
				stores[i] = s
			}

			var bounceID atomic.Int64
			var mu sync.Mutex
			counts := map[int]int{}
			wins := 0
			var wg sync.WaitGroup
			for _, s := range stores {
				for range perHandle {
					wg.Go(func() {
						for range each {
							n, err := s.AddTransientBounce(ctx, "shared@example.com", fmt.Sprint(bounceID.Add(1)), epoch, time.Hour)
							if err != nil {
								t.Errorf("AddTransientBounce: %v", err)
								return
							}
							won, err := s.MarkApplied(ctx, "shared-notification", epoch, epoch.Add(time.Hour),
								store.Count{Name: "bounced", Bucket: epoch, N: 1, KeepUntil: epoch.Add(time.Hour)})
							if err != nil {
								t.Errorf("MarkApplied: %v", err)
								return
							}
							if err := s.AddCount(ctx, store.Count{Name: "sent", Bucket: epoch, N: 3, KeepUntil: epoch.Add(time.Hour)}); err != nil {
								t.Errorf("AddCount: %v", err)
								return
							}
							mu.Lock()
							counts[n]++
							if won {
								wins++
							}
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			total := handles * perHandle * each
			for i := 1; i <= total; i++ {
				if counts[i] != 1 {
					t.Errorf("count %d returned %d times across the handles, want once", i, counts[i])
				}
			}
			if wins != 1 {
				t.Errorf("%d marks of one id made across the handles, want 1", wins)
			}
			if sum, err := stores[2].SumCounts(ctx, "bounced", epoch, epoch.Add(time.Second)); err != nil || sum != 1 {
				t.Errorf("SumCounts of the mark's count = %d, %v; want 1", sum, err)
			}
			sum, err := stores[1].SumCounts(ctx, "sent", epoch, epoch.Add(time.Second))
			if err != nil || sum != int64(3*total) {
				t.Errorf("SumCounts = %d, %v; want %d", sum, err, 3*total)
			}
		})
	}
}
