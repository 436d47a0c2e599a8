package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sesguard/sesguard/store"
)

// errTxDone is returned by the Store of InTx once fn has returned.
var errTxDone = errors.New("sqlstore: the Store of InTx used after its fn returned")

// InTx calls fn with a Store whose statements run in one read-write
// transaction, committed when fn returns nil and rolled back when it
// returns an error or panics (the panic then goes on). The Store given to
// fn has every ability of package store except Transactor, and fails with
// an error once fn has returned. The counts it adds (with AddCount and
// MarkApplied) are written together when fn returns, in one statement
// that locks their rows in one order, so that concurrent transactions
// cannot deadlock on them. On SQLite the transaction holds this Store's
// turn to write until it ends.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	err := s.transact(ctx, func(tx *sql.Tx) error {
		t := &txStore{r: runner{s: s, tx: tx, counts: new(pendingCounts)}}
		defer t.done.Store(true)
		if err := fn(t); err != nil {
			return err
		}
		return t.r.counts.flush(ctx, t.r)
	})
	if err != nil {
		return fmt.Errorf("sqlstore: in tx: %w", err)
	}
	return nil
}

// txStore is the Store that InTx gives its fn.
type txStore struct {
	r    runner
	done atomic.Bool
}

var (
	_ store.Store         = (*txStore)(nil)
	_ store.BounceCounter = (*txStore)(nil)
	_ store.Deduper       = (*txStore)(nil)
	_ store.Counter       = (*txStore)(nil)
	_ store.Lister        = (*txStore)(nil)
	_ store.Purger        = (*txStore)(nil)
)

func (t *txStore) check() error {
	if t.done.Load() {
		return errTxDone
	}
	return nil
}

func (t *txStore) Lookup(ctx context.Context, addrs []string) ([]store.Suppression, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.r.lookup(ctx, addrs)
}

func (t *txStore) Put(ctx context.Context, v store.Suppression) (bool, error) {
	if err := t.check(); err != nil {
		return false, err
	}
	return t.r.put(ctx, v)
}

func (t *txStore) Delete(ctx context.Context, k store.Key) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.r.delete(ctx, k)
}

func (t *txStore) AddTransientBounce(ctx context.Context, addr, id string, at time.Time, window time.Duration) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	return t.r.addTransientBounce(ctx, addr, id, at, window)
}

func (t *txStore) ClearTransientBounces(ctx context.Context, addr string) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.r.clearTransientBounces(ctx, addr)
}

func (t *txStore) Applied(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := t.check(); err != nil {
		return false, err
	}
	return t.r.applied(ctx, id, at)
}

func (t *txStore) MarkApplied(ctx context.Context, id string, at, expires time.Time, counts ...store.Count) (bool, error) {
	if err := t.check(); err != nil {
		return false, err
	}
	return t.r.markApplied(ctx, id, at, expires, counts)
}

func (t *txStore) AddCount(ctx context.Context, c store.Count) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.r.addCount(ctx, c)
}

func (t *txStore) SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	return t.r.sumCounts(ctx, name, from, to)
}

func (t *txStore) List(ctx context.Context, after store.Key, limit int) ([]store.Suppression, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.r.listPage(ctx, after, limit)
}

func (t *txStore) Purge(ctx context.Context, at time.Time) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	return t.r.purgeAt(ctx, at)
}
