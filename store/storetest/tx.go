package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
)

var txCases = []testCase{
	{"TransactorCommitsWhenFnReturnsNil", testTxCommit},
	{"TransactorRollsBackOnError", testTxRollback},
	{"TransactorRollsBackOnPanic", testTxPanic},
	{"TransactorReadsItsOwnWrites", testTxReads},
	{"TransactorStoreHasTheReceiversAbilities", testTxAbilities},
}

func transactor(t *testing.T, s store.Store) store.Transactor {
	tx, ok := s.(store.Transactor)
	if !ok {
		t.Skip("store does not implement store.Transactor")
	}
	return tx
}

// txWrites makes, through tx, a suppression, a mark with a count and a
// transient bounce, as applying a notification does.
func txWrites(t *testing.T, tx store.Store) {
	t.Helper()
	if _, err := tx.Put(bg(), sup("tx@example.com", store.ReasonBounce)); err != nil {
		t.Fatalf("Put in a transaction: %v", err)
	}
	if err := tx.Delete(bg(), store.Key{Address: "old@example.com"}); err != nil {
		t.Fatalf("Delete in a transaction: %v", err)
	}
	if d, ok := tx.(store.Deduper); ok {
		c := store.Count{Name: "storetest:tx", Bucket: epoch, N: 5, KeepUntil: epoch.Add(time.Hour)}
		if _, err := d.MarkApplied(bg(), "tx-id", epoch, epoch.Add(time.Hour), c); err != nil {
			t.Fatalf("MarkApplied in a transaction: %v", err)
		}
	}
	if bc, ok := tx.(store.BounceCounter); ok {
		if _, err := bc.AddTransientBounce(bg(), "soft@example.com", "tx-bounce", epoch, time.Hour); err != nil {
			t.Fatalf("AddTransientBounce in a transaction: %v", err)
		}
	}
}

// checkTxWrites checks that txWrites's effects are all in s, or none.
func checkTxWrites(t *testing.T, s store.Store, want bool) {
	t.Helper()
	if _, ok := get(t, s, "tx@example.com"); ok != want {
		t.Errorf("the transaction's Put is visible: %v, want %v", ok, want)
	}
	if _, ok := get(t, s, "old@example.com"); ok == want {
		t.Errorf("the transaction's Delete took effect: %v, want %v", !ok, want)
	}
	if d, ok := s.(store.Deduper); ok {
		if got := applied(t, d, "tx-id", epoch); got != want {
			t.Errorf("the transaction's mark is visible: %v, want %v", got, want)
		}
	}
	if c, ok := s.(store.Counter); ok && implementsDeduper(s) {
		wantN := int64(0)
		if want {
			wantN = 5
		}
		if got := sum(t, c, "storetest:tx", epoch, epoch.Add(time.Second)); got != wantN {
			t.Errorf("the transaction's counts sum to %d, want %d", got, wantN)
		}
	}
	if bc, ok := s.(store.BounceCounter); ok {
		wantN := 1
		if want {
			wantN = 2
		}
		if got := addBounce(t, bc, "soft@example.com", "after-tx", epoch, time.Hour); got != wantN {
			t.Errorf("a bounce after the transaction counts %d, want %d", got, wantN)
		}
	}
}

func implementsDeduper(s store.Store) bool {
	_, ok := s.(store.Deduper)
	return ok
}

func testTxCommit(t *testing.T, s store.Store) {
	tr := transactor(t, s)
	mustPut(t, s, sup("old@example.com", store.ReasonManual))
	err := tr.InTx(bg(), func(tx store.Store) error {
		txWrites(t, tx)
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	checkTxWrites(t, s, true)
}

func testTxRollback(t *testing.T, s store.Store) {
	tr := transactor(t, s)
	mustPut(t, s, sup("old@example.com", store.ReasonManual))
	boom := errors.New("storetest: fn failed")
	err := tr.InTx(bg(), func(tx store.Store) error {
		txWrites(t, tx)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want fn's error", err)
	}
	checkTxWrites(t, s, false)
}

func testTxPanic(t *testing.T, s store.Store) {
	tr := transactor(t, s)
	mustPut(t, s, sup("old@example.com", store.ReasonManual))
	func() {
		defer func() {
			if r := recover(); r != "storetest: panic in fn" {
				t.Errorf("recovered %v, want fn's panic to continue", r)
			}
		}()
		_ = tr.InTx(bg(), func(tx store.Store) error {
			txWrites(t, tx)
			panic("storetest: panic in fn")
		})
	}()
	checkTxWrites(t, s, false)
}

func testTxReads(t *testing.T, s store.Store) {
	tr := transactor(t, s)
	mustPut(t, s, sup("old@example.com", store.ReasonManual))
	err := tr.InTx(bg(), func(tx store.Store) error {
		txWrites(t, tx)
		got := lookup(t, tx, "tx@example.com", "old@example.com")
		if _, ok := got[store.Key{Address: "tx@example.com"}]; !ok {
			t.Error("the transaction does not see its own Put")
		}
		if _, ok := got[store.Key{Address: "old@example.com"}]; ok {
			t.Error("the transaction does not see its own Delete")
		}
		weak := sup("tx@example.com", store.ReasonSoftBounce)
		weak.ExpiresAt = epoch.Add(time.Hour)
		if written, err := tx.Put(bg(), weak); err != nil || written {
			t.Errorf("a weaker Put over the transaction's own: written=%v, %v; want false, nil", written, err)
		}
		if d, ok := tx.(store.Deduper); ok {
			if !applied(t, d, "tx-id", epoch) {
				t.Error("the transaction does not see its own mark")
			}
			if mark(t, d, "tx-id", epoch, epoch.Add(time.Hour)) {
				t.Error("the transaction marked its own mark again")
			}
		}
		if bc, ok := tx.(store.BounceCounter); ok {
			if got := addBounce(t, bc, "soft@example.com", "tx-bounce-2", epoch, time.Hour); got != 2 {
				t.Errorf("a second bounce in the transaction counts %d, want 2", got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

func testTxAbilities(t *testing.T, s store.Store) {
	tr := transactor(t, s)
	err := tr.InTx(bg(), func(tx store.Store) error {
		for _, ab := range []struct {
			name     string
			has, txs bool
		}{
			{"BounceCounter", is[store.BounceCounter](s), is[store.BounceCounter](tx)},
			{"Deduper", is[store.Deduper](s), is[store.Deduper](tx)},
			{"Counter", is[store.Counter](s), is[store.Counter](tx)},
			{"Lister", is[store.Lister](s), is[store.Lister](tx)},
			{"Purger", is[store.Purger](s), is[store.Purger](tx)},
		} {
			if ab.has && !ab.txs {
				t.Errorf("the store is a %s but its transaction's Store is not", ab.name)
			}
		}
		if is[store.Transactor](tx) {
			t.Error("the transaction's Store is a Transactor: transactions do not nest")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

func is[T any](s store.Store) bool {
	_, ok := s.(T)
	return ok
}
