package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// seqOf yields vs, as Import reads them.
func seqOf(vs []store.Suppression) iter.Seq2[store.Suppression, error] {
	return func(yield func(store.Suppression, error) bool) {
		for _, v := range vs {
			if !yield(v, nil) {
				return
			}
		}
	}
}

func imported(n int) []store.Suppression {
	vs := make([]store.Suppression, n)
	for i := range vs {
		vs[i] = store.Suppression{
			Address:   fmt.Sprintf("import%05d@example.com", i),
			Reason:    store.ReasonBounce,
			Detail:    "Permanent/OnAccountSuppressionList",
			Source:    "ses-account-list",
			CreatedAt: epoch,
		}
	}
	return vs
}

// count returns how many of vs s holds.
func count(t *testing.T, s store.Store, vs []store.Suppression) int {
	t.Helper()
	addrs := make([]string, len(vs))
	for i, v := range vs {
		addrs[i] = v.Address
	}
	return len(mustLookup(t, s, addrs...))
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)

			t.Run("WritesEveryRowAndReportsProgressPerBatch", func(t *testing.T) {
				s := newStore(t, db)
				vs := imported(2345)
				var progress []int
				n, err := s.Import(ctx, seqOf(vs), func(o *sqlstore.ImportOptions) {
					o.BatchSize = 500
					o.Progress = func(n int) { progress = append(progress, n) }
				})
				if err != nil || n != len(vs) {
					t.Fatalf("Import = %d, %v; want %d, nil", n, err, len(vs))
				}
				if want := []int{500, 1000, 1500, 2000, 2345}; fmt.Sprint(progress) != fmt.Sprint(want) {
					t.Errorf("progress reported %v, want %v", progress, want)
				}
				if got := count(t, s, vs); got != len(vs) {
					t.Errorf("%d of %d imported rows stored", got, len(vs))
				}
				got := mustLookup(t, s, vs[1234].Address)[vs[1234].Address]
				if got.Source != "ses-account-list" || got.Reason != store.ReasonBounce || !got.CreatedAt.Equal(epoch) {
					t.Errorf("imported row read back as %+v", got)
				}
			})

			t.Run("InvalidRowStopsAfterWritingEveryRowBeforeIt", func(t *testing.T) {
				s := newStore(t, db)
				vs := imported(1000)
				vs[730].Address = "bad\xff@example.com"
				var last int
				n, err := s.Import(ctx, seqOf(vs), func(o *sqlstore.ImportOptions) {
					o.BatchSize = 300
					o.Progress = func(n int) { last = n }
				})
				if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "row 730") {
					t.Fatalf("Import error %v, want store.ErrInvalid naming row 730", err)
				}
				if n != 730 || last != 730 {
					t.Errorf("Import returned %d and last reported %d, want 730 (the rows before the bad one)", n, last)
				}
				if got := count(t, s, vs[:730]); got != 730 {
					t.Errorf("%d of the 730 rows before the bad one stored", got)
				}
				if got := count(t, s, vs[731:]); got != 0 {
					t.Errorf("%d rows after the bad one stored", got)
				}
				// Resuming after the bad row finishes the job.
				m, err := s.Import(ctx, seqOf(vs[731:]))
				if err != nil || m != len(vs)-731 {
					t.Fatalf("resumed Import = %d, %v", m, err)
				}
				if got := count(t, s, vs); got != 999 {
					t.Errorf("after resuming %d rows stored, want 999", got)
				}
			})

			t.Run("SourceErrorIsWrappedAfterWritingRowsBeforeIt", func(t *testing.T) {
				s := newStore(t, db)
				vs := imported(10)
				broken := errors.New("csv: line 8: bare quote")
				seq := func(yield func(store.Suppression, error) bool) {
					for i, v := range vs {
						if i == 7 {
							yield(store.Suppression{}, broken)
							return
						}
						if !yield(v, nil) {
							return
						}
					}
				}
				n, err := s.Import(ctx, seq)
				if !errors.Is(err, broken) || n != 7 {
					t.Fatalf("Import = %d, %v; want 7 and an error wrapping the source's", n, err)
				}
				if got := count(t, s, vs); got != 7 {
					t.Errorf("%d rows stored, want 7", got)
				}
			})

			t.Run("RepeatedAddressLastWins", func(t *testing.T) {
				s := newStore(t, db)
				vs := imported(5)
				again := vs[2]
				again.Reason = store.ReasonComplaint
				vs = append(vs, again)
				n, err := s.Import(ctx, seqOf(vs))
				if err != nil || n != 6 {
					t.Fatalf("Import = %d, %v; want 6, nil", n, err)
				}
				if got := mustLookup(t, s, again.Address)[again.Address].Reason; got != store.ReasonComplaint {
					t.Errorf("repeated address kept reason %q, want the last one's, %q", got, store.ReasonComplaint)
				}
			})

			t.Run("ReplacesExistingOrKeepsThem", func(t *testing.T) {
				s := newStore(t, db)
				old := store.Suppression{Address: "import00001@example.com", Reason: store.ReasonManual, Source: "manual", CreatedAt: epoch}
				mustPut(t, s, old)
				if _, err := s.Import(ctx, seqOf(imported(3)), func(o *sqlstore.ImportOptions) { o.KeepExisting = true }); err != nil {
					t.Fatalf("Import: %v", err)
				}
				if got := mustLookup(t, s, old.Address)[old.Address]; got.Source != "manual" {
					t.Errorf("KeepExisting import replaced the stored row: %+v", got)
				}
				if _, err := s.Import(ctx, seqOf(imported(3))); err != nil {
					t.Fatalf("Import: %v", err)
				}
				if got := mustLookup(t, s, old.Address)[old.Address]; got.Source != "ses-account-list" {
					t.Errorf("import did not replace the stored row: %+v", got)
				}
			})

			t.Run("CancelledContextWritesNothing", func(t *testing.T) {
				s := newStore(t, db)
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				vs := imported(20)
				n, err := s.Import(cctx, seqOf(vs))
				if !errors.Is(err, context.Canceled) || n != 0 {
					t.Fatalf("Import with a cancelled ctx = %d, %v; want 0, context.Canceled", n, err)
				}
				if got := count(t, s, vs); got != 0 {
					t.Errorf("%d rows stored by a cancelled import", got)
				}
			})
		})
	}
}
