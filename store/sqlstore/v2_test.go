package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// TestMigrationFromVersion1KeepsTheRows builds the version 1 schema, fills
// it as a version 1 store would have, and migrates: suppressions become
// ScopeAll, claims applied marks, transient bounces records that still
// count, and count buckets keep their sums.
func TestMigrationFromVersion1KeepsTheRows(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			p := prefix(t)
			d := b.dialect
			t.Cleanup(func() { assert.NoError(t, sqlstore.DropPrefix(ctx, db, d, p)) })
			withPrefix := func(o *sqlstore.Options) { o.TablePrefix = p }
			migs, err := sqlstore.Migrations(d, withPrefix)
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(migs), 2)
			require.Equal(t, 1, migs[0].Version)
			for st := range strings.SplitSeq(migs[0].SQL, ";\n") {
				if strings.TrimSpace(st) != "" {
					_, err := db.ExecContext(ctx, st)
					require.NoError(t, err, st)
				}
			}
			q := func(s string) string { return sqlstore.Bind(d, strings.ReplaceAll(s, "${p}", p)) }
			quoted := func(s string) string {
				if d == sqlstore.MySQL {
					return strings.ReplaceAll(s, `"`, "`")
				}
				return s
			}
			ts := func(tm time.Time) any {
				if d == sqlstore.Postgres {
					return tm
				}
				return tm.UTC().Format("2006-01-02 15:04:05.000000")
			}
			exec := func(s string, args ...any) {
				t.Helper()
				_, err := db.ExecContext(ctx, q(quoted(s)), args...)
				require.NoError(t, err, s)
			}
			exec(`CREATE TABLE "${p}schema_migrations" (version integer NOT NULL PRIMARY KEY, applied_at ` + map[sqlstore.Dialect]string{sqlstore.Postgres: "timestamptz", sqlstore.MySQL: "datetime(6)", sqlstore.SQLite: "text"}[d] + ` NOT NULL)`)
			exec(`INSERT INTO "${p}schema_migrations" (version, applied_at) VALUES (1, ?)`, ts(epoch))
			exec(`INSERT INTO "${p}suppressions" (address, reason, detail, source, created_at, expires_at) VALUES (?, ?, ?, ?, ?, NULL)`,
				"old@example.com", "UNSUBSCRIBE", "", "v1", ts(epoch))
			exec(`INSERT INTO "${p}claims" (id, expires_at`+map[bool]string{true: ", token", false: ""}[d == sqlstore.MySQL]+`) VALUES (?, ?`+map[bool]string{true: ", 7", false: ""}[d == sqlstore.MySQL]+`)`,
				"n-1", ts(epoch.Add(time.Hour)))
			if d == sqlstore.Postgres {
				exec(`INSERT INTO "${p}bounces" (address, bounced_at, expires_at) VALUES (?, ARRAY[?::timestamptz, ?::timestamptz], ?)`,
					"soft@example.com", epoch, epoch.Add(time.Minute), epoch.Add(25*time.Hour))
			} else {
				exec(`INSERT INTO "${p}bounces" (address, total, expires_at) VALUES (?, 2, ?)`, "soft@example.com", ts(epoch.Add(25*time.Hour)))
				exec(`INSERT INTO "${p}bounce_events" (address, seq, bounced_at, expires_at) VALUES (?, 1, ?, ?), (?, 2, ?, ?)`,
					"soft@example.com", ts(epoch), ts(epoch.Add(24*time.Hour)), "soft@example.com", ts(epoch.Add(time.Minute)), ts(epoch.Add(25*time.Hour)))
			}
			exec(`INSERT INTO "${p}counts" (name, bucket, n, keep_until) VALUES (?, ?, 5, ?)`, "sent", ts(epoch), ts(epoch.Add(time.Hour)))

			s, err := sqlstore.New(ctx, db, withPrefix)
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, s.Close()) })

			got, err := s.Lookup(ctx, []string{"old@example.com"})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, store.ScopeAll, got[0].Scope)
			assert.Equal(t, store.ReasonUnsubscribe, got[0].Reason)

			applied, err := s.Applied(ctx, "n-1", epoch)
			require.NoError(t, err)
			assert.True(t, applied, "a version 1 claim is an applied mark")

			n, err := s.AddTransientBounce(ctx, "soft@example.com", "new", epoch.Add(2*time.Minute), time.Hour)
			require.NoError(t, err)
			assert.Equal(t, 3, n, "the two version 1 bounces still count")

			sum, err := s.SumCounts(ctx, "sent", epoch, epoch.Add(time.Second))
			require.NoError(t, err)
			assert.EqualValues(t, 5, sum)
			require.NoError(t, s.AddCount(ctx, store.Count{Name: "sent", Bucket: epoch, N: 2, KeepUntil: epoch.Add(time.Hour)}))
			sum, err = s.SumCounts(ctx, "sent", epoch, epoch.Add(time.Second))
			require.NoError(t, err)
			assert.EqualValues(t, 7, sum)
		})
	}
}

// TestConcurrentPutsKeepTheStrongest races writers of every strength on
// one key, on separate connections: whatever the order, the strongest
// stays.
func TestConcurrentPutsKeepTheStrongest(t *testing.T) {
	ctx := context.Background()
	k := store.Key{Address: "raced@example.com"}
	candidates := []store.Suppression{
		{Reason: store.ReasonInvalid, ExpiresAt: epoch.Add(time.Hour)},
		{Reason: store.ReasonSoftBounce, ExpiresAt: epoch.Add(2 * time.Hour)},
		{Reason: store.ReasonSoftBounce, ExpiresAt: epoch.Add(3 * time.Hour)},
		{Reason: store.ReasonBounce},
		{Reason: store.ReasonInvalid},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			for round := range 10 {
				require.NoError(t, s.Delete(ctx, k))
				var wg sync.WaitGroup
				for i, c := range candidates {
					c.Address, c.Scope, c.CreatedAt = k.Address, k.Scope, epoch
					c.Source = fmt.Sprint(i)
					wg.Go(func() {
						_, err := s.Put(ctx, c)
						assert.NoError(t, err)
					})
				}
				wg.Wait()
				got, err := s.Lookup(ctx, []string{k.Address})
				require.NoError(t, err)
				require.Len(t, got, 1)
				assert.Equal(t, store.ReasonBounce, got[0].Reason, "round %d", round)
				assert.True(t, got[0].ExpiresAt.IsZero(), "round %d", round)
			}
		})
	}
}

func TestPutReportsWhetherItWrote(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			hard := store.Suppression{Address: "w@example.com", Reason: store.ReasonBounce, CreatedAt: epoch}
			soft := store.Suppression{Address: "w@example.com", Reason: store.ReasonSoftBounce, CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}
			list := store.Suppression{Address: "w@example.com", Scope: "news", Reason: store.ReasonUnsubscribe, CreatedAt: epoch}
			for _, step := range []struct {
				v    store.Suppression
				want bool
			}{
				{soft, true}, {soft, true}, {hard, true}, {soft, false}, {hard, true}, {list, true},
				// Once expired, the weaker one may replace it.
				{store.Suppression{Address: "x@example.com", Reason: store.ReasonBounce, CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}, true},
				{store.Suppression{Address: "x@example.com", Reason: store.ReasonInvalid, CreatedAt: epoch.Add(30 * time.Minute), ExpiresAt: epoch.Add(2 * time.Hour)}, false},
				{store.Suppression{Address: "x@example.com", Reason: store.ReasonInvalid, CreatedAt: epoch.Add(time.Hour), ExpiresAt: epoch.Add(2 * time.Hour)}, true},
			} {
				written, err := s.Put(ctx, step.v)
				require.NoError(t, err)
				assert.Equal(t, step.want, written, "Put %s/%q %s", step.v.Address, step.v.Scope, step.v.Reason)
			}
			got, err := s.Lookup(ctx, []string{"w@example.com", "x@example.com", "w@example.com"})
			require.NoError(t, err)
			require.Len(t, got, 3)
			page, err := s.List(ctx, store.Key{}, 10)
			require.NoError(t, err)
			require.Len(t, page, 3)
			assert.Equal(t, []store.Key{{Address: "w@example.com"}, {Address: "w@example.com", Scope: "news"}, {Address: "x@example.com"}},
				[]store.Key{page[0].Key(), page[1].Key(), page[2].Key()})
			page, err = s.List(ctx, page[0].Key(), 10)
			require.NoError(t, err)
			require.Len(t, page, 2)
			assert.Equal(t, store.Scope("news"), page[0].Scope)
		})
	}
}

func TestLongestKeysAreStored(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			v := store.Suppression{Address: address(store.MaxAddressLen), Scope: store.Scope(strings.Repeat("é", store.MaxScopeLen/2) + "s"), Reason: store.ReasonUnsubscribe}
			written, err := s.Put(ctx, v)
			require.NoError(t, err)
			assert.True(t, written)
			got, err := s.Lookup(ctx, []string{v.Address})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, v.Key(), got[0].Key())
			require.NoError(t, s.Delete(ctx, v.Key()))
			v.Scope += "x"
			_, err = s.Put(ctx, v)
			assert.ErrorIs(t, err, store.ErrInvalid)
		})
	}
}

// TestMarkAppliedCountsOnce races the marks of one id with counts: one
// call makes the mark, and the counts are added once; an expired mark is
// taken again.
func TestMarkAppliedCountsOnce(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			counts := []store.Count{
				{Name: "bounced", Bucket: epoch, N: 1, KeepUntil: epoch.Add(time.Hour)},
				{Name: "sent", Bucket: epoch, N: 2, KeepUntil: epoch.Add(time.Hour)},
				{Name: "bounced", Bucket: epoch, N: 1, KeepUntil: epoch.Add(2 * time.Hour)},
			}
			var mu sync.Mutex
			made := 0
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					ok, err := s.MarkApplied(ctx, "n-1", epoch, epoch.Add(time.Hour), counts...)
					assert.NoError(t, err)
					mu.Lock()
					if ok {
						made++
					}
					mu.Unlock()
				})
			}
			wg.Wait()
			assert.Equal(t, 1, made)
			sum := func(name string) int64 {
				n, err := s.SumCounts(ctx, name, epoch, epoch.Add(time.Second))
				require.NoError(t, err)
				return n
			}
			assert.EqualValues(t, 2, sum("bounced"))
			assert.EqualValues(t, 2, sum("sent"))
			applied, err := s.Applied(ctx, "n-1", epoch.Add(59*time.Minute))
			require.NoError(t, err)
			assert.True(t, applied)
			applied, err = s.Applied(ctx, "n-1", epoch.Add(time.Hour))
			require.NoError(t, err)
			assert.False(t, applied)

			ok, err := s.MarkApplied(ctx, "n-1", epoch.Add(time.Hour), epoch.Add(2*time.Hour), counts[1])
			require.NoError(t, err)
			assert.True(t, ok, "an expired mark is taken again")
			assert.EqualValues(t, 4, sum("sent"))

			removed, err := s.Purge(ctx, epoch.Add(90*time.Minute))
			require.NoError(t, err)
			assert.Zero(t, removed)
			assert.EqualValues(t, 2, sum("bounced"), "kept until the latest KeepUntil")
			assert.EqualValues(t, 0, sum("sent"))
		})
	}
}

func TestTransientBouncesAreRecordedOncePerID(t *testing.T) {
	ctx := context.Background()
	const window = time.Hour
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			add := func(id string, at time.Duration) int {
				t.Helper()
				n, err := s.AddTransientBounce(ctx, "soft@example.com", id, epoch.Add(at), window)
				require.NoError(t, err)
				return n
			}
			assert.Equal(t, 1, add("a", 0))
			assert.Equal(t, 1, add("a", 0))
			assert.Equal(t, 2, add("b", 10*time.Minute))
			// Late and out of order: counts with its neighbours.
			assert.Equal(t, 3, add("c", 5*time.Minute))
			assert.Equal(t, 2, add("d", 65*time.Minute))
			// Far later: the old records are trimmed, and their ids may
			// count again when redelivered that late.
			assert.Equal(t, 1, add("e", 5*time.Hour))
			require.NoError(t, s.ClearTransientBounces(ctx, "soft@example.com"))
			assert.Equal(t, 1, add("f", 5*time.Hour))
			_, err := s.Purge(ctx, epoch.Add(7*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 1, add("f", 5*time.Hour+time.Minute), "purged records count no more")
		})
	}
}

// TestConcurrentTransientBouncesCountEachOther plays three bounces of one
// address delivered at once: the last to record sees the other two.
func TestConcurrentTransientBouncesCountEachOther(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			for round := range 10 {
				addr := fmt.Sprintf("r%d@example.com", round)
				got := make([]int, 3)
				var wg sync.WaitGroup
				for i := range got {
					wg.Go(func() {
						n, err := s.AddTransientBounce(ctx, addr, fmt.Sprint(i), epoch.Add(time.Duration(i)*time.Second), time.Hour)
						assert.NoError(t, err)
						got[i] = n
					})
				}
				wg.Wait()
				assert.ElementsMatch(t, []int{1, 2, 3}, got, "round %d", round)
			}
		})
	}
}

var errRollback = errors.New("roll back")

func TestInTx(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			v := store.Suppression{Address: "tx@example.com", Reason: store.ReasonBounce, CreatedAt: epoch}
			count := store.Count{Name: "bounced", Bucket: epoch, N: 1, KeepUntil: epoch.Add(time.Hour)}
			body := func(tx store.Store) error {
				if _, err := tx.Put(ctx, v); err != nil {
					return err
				}
				if _, err := tx.(store.BounceCounter).AddTransientBounce(ctx, "soft-tx@example.com", "1", epoch, time.Hour); err != nil {
					return err
				}
				_, err := tx.(store.Deduper).MarkApplied(ctx, "tx-1", epoch, epoch.Add(time.Hour), count)
				return err
			}
			applied := func() bool {
				ok, err := s.Applied(ctx, "tx-1", epoch)
				require.NoError(t, err)
				return ok
			}

			err := s.InTx(ctx, func(tx store.Store) error {
				require.NoError(t, body(tx))
				return errRollback
			})
			require.ErrorIs(t, err, errRollback)
			assert.Empty(t, mustLookup(t, s, v.Address))
			assert.False(t, applied())

			assert.PanicsWithValue(t, "boom", func() {
				_ = s.InTx(ctx, func(tx store.Store) error {
					require.NoError(t, body(tx))
					panic("boom")
				})
			})
			assert.Empty(t, mustLookup(t, s, v.Address))
			assert.False(t, applied())

			// The Store still works after the panic: nothing hangs.
			var kept store.Store
			require.NoError(t, s.InTx(ctx, func(tx store.Store) error {
				kept = tx
				_, isTx := tx.(store.Transactor)
				assert.False(t, isTx, "the Store of InTx is no Transactor")
				return body(tx)
			}))
			assert.Len(t, mustLookup(t, s, v.Address), 1)
			assert.True(t, applied())
			n, err := s.SumCounts(ctx, "bounced", epoch, epoch.Add(time.Second))
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			_, err = kept.Put(ctx, v)
			assert.Error(t, err, "the Store of InTx after fn returned")
		})
	}
}

// TestStoreWorksWithASmallPool runs InTx and plain calls on a pool of one
// connection: nothing the Store does inside a transaction asks the pool for
// a second one.
func TestStoreWorksWithASmallPool(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			s := newStore(t, db)
			db.SetMaxOpenConns(1)
			err := s.InTx(ctx, func(tx store.Store) error {
				if _, err := tx.Put(ctx, store.Suppression{Address: "one@example.com", Reason: store.ReasonBounce}); err != nil {
					return err
				}
				if _, err := tx.(store.Purger).Purge(ctx, epoch); err != nil {
					return err
				}
				_, err := tx.(store.BounceCounter).AddTransientBounce(ctx, "one@example.com", "x", epoch, time.Hour)
				return err
			})
			require.NoError(t, err)
		})
	}
}

// TestConcurrentBatchesCountExactly runs transactions that each mark
// several notifications whose counts name the same rows in different
// orders, as concurrent SQS consumers' batches would: none fails, and the
// sums are exact.
func TestConcurrentBatchesCountExactly(t *testing.T) {
	const workers, batches, perBatch = 6, 8, 4
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			names := []string{"bounced", "complained", "sent"}
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for n := range batches {
						err := s.InTx(ctx, func(tx store.Store) error {
							for i := range perBatch {
								id := fmt.Sprintf("w%d-b%d-n%d", w, n, i)
								var counts []store.Count
								for j := range names {
									name := names[(w+i+j)%len(names)]
									counts = append(counts, store.Count{Name: name, Bucket: epoch, N: 1, KeepUntil: epoch.Add(time.Hour)})
								}
								if _, err := tx.(store.Deduper).MarkApplied(ctx, id, epoch, epoch.Add(time.Hour), counts...); err != nil {
									return err
								}
							}
							return nil
						})
						assert.NoError(t, err)
					}
				})
			}
			wg.Wait()
			for _, name := range names {
				sum, err := s.SumCounts(ctx, name, epoch, epoch.Add(time.Second))
				require.NoError(t, err)
				assert.EqualValues(t, workers*batches*perBatch, sum, name)
			}
		})
	}
}
