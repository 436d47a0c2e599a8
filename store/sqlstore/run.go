package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// stmt is one statement of a Store, prepared on first use and reused on
// every connection after: database/sql prepares it again, once, on each
// connection that runs it, and a transaction uses the connection's.
type stmt struct {
	query string
	mu    sync.Mutex
	ps    *sql.Stmt
}

// stmt registers the statement q (expanded and bound) with the Store.
func (s *Store) stmt(q string) *stmt {
	st := &stmt{query: s.q(q)}
	s.stmtsMu.Lock()
	s.stmts = append(s.stmts, st)
	s.stmtsMu.Unlock()
	return st
}

// prepared returns st prepared on db.
func (st *stmt) prepared(ctx context.Context, db *sql.DB) (*sql.Stmt, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ps == nil {
		ps, err := db.PrepareContext(ctx, st.query)
		if err != nil {
			return nil, err
		}
		st.ps = ps
	}
	return st.ps, nil
}

func (st *stmt) close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ps == nil {
		return nil
	}
	err := st.ps.Close()
	st.ps = nil
	return err
}

// runner runs the statements of a Store on the pool or, inside
// [Store.InTx], on its transaction.
type runner struct {
	s  *Store
	tx *sql.Tx // nil: the pool
	// counts, in InTx, holds the counts added in the transaction, which
	// go to the database in one statement before it commits.
	counts *pendingCounts
}

// on returns st ready to run on r. In a transaction, a statement that was
// never prepared is prepared on the transaction's connection for this
// use only: preparing it on the pool could wait for a connection that
// only the transactions waiting here would free.
func (r runner) on(ctx context.Context, st *stmt) (*sql.Stmt, error) {
	if r.tx == nil {
		return st.prepared(ctx, r.s.db)
	}
	st.mu.Lock()
	ps := st.ps
	st.mu.Unlock()
	if ps == nil {
		return r.tx.PrepareContext(ctx, st.query)
	}
	return r.tx.StmtContext(ctx, ps), nil
}

// prepareAll prepares every statement registered so far, so that
// transactions find them prepared.
func (s *Store) prepareAll(ctx context.Context) error {
	s.stmtsMu.Lock()
	stmts := slices.Clone(s.stmts)
	s.stmtsMu.Unlock()
	for _, st := range stmts {
		if _, err := st.prepared(ctx, s.db); err != nil {
			return fmt.Errorf("sqlstore: preparing %q: %w", st.query, err)
		}
	}
	return nil
}

// query runs a statement that reads.
func (r runner) query(ctx context.Context, st *stmt, args ...any) (*sql.Rows, error) {
	ps, err := r.on(ctx, st)
	if err != nil {
		return nil, err
	}
	return ps.QueryContext(ctx, args...)
}

// queryRow runs a statement that returns one row, into dest.
func (r runner) queryRow(ctx context.Context, st *stmt, args []any, dest ...any) error {
	ps, err := r.on(ctx, st)
	if err != nil {
		return err
	}
	return ps.QueryRowContext(ctx, args...).Scan(dest...)
}

// exec runs a statement that writes, on its own or in r's transaction.
func (r runner) exec(ctx context.Context, st *stmt, args ...any) (sql.Result, error) {
	if r.tx == nil {
		done, err := r.s.gate(ctx)
		if err != nil {
			return nil, err
		}
		defer done()
	}
	ps, err := r.on(ctx, st)
	if err != nil {
		return nil, err
	}
	return ps.ExecContext(ctx, args...)
}

// writeRow runs a statement that writes and returns one row, into dest.
func (r runner) writeRow(ctx context.Context, st *stmt, args []any, dest ...any) error {
	if r.tx == nil {
		done, err := r.s.gate(ctx)
		if err != nil {
			return err
		}
		defer done()
	}
	return r.queryRow(ctx, st, args, dest...)
}

// inTx runs fn in r's transaction or, on the pool, in a read-write
// transaction of its own that commits when fn returns nil.
func (r runner) inTx(ctx context.Context, fn func(r runner) error) error {
	if r.tx != nil {
		return fn(r)
	}
	return r.s.transact(ctx, func(tx *sql.Tx) error { return fn(runner{s: r.s, tx: tx}) })
}

// transact runs fn in a read-write transaction and commits it when fn
// returns nil. When fn fails or panics, the transaction is rolled back (and
// the panic goes on), and on SQLite the Store's turn to write ends.
func (s *Store) transact(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	done, err := s.gate(ctx)
	if err != nil {
		return err
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, s.d.txOptions)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			if rerr := ignoreDone(tx.Rollback()); rerr != nil && err != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return tx.Commit()
}
