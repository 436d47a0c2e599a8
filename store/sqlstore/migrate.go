package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one versioned step of the schema.
type Migration struct {
	// Version numbers the step; steps apply in ascending order, each once.
	Version int
	// SQL is the step as a script: statements that each end with a
	// semicolon at the end of a line. Every statement is idempotent (IF NOT
	// EXISTS), so a step cut short can be run again.
	SQL string
}

// Migrations returns the steps that build the schema of a Store with the
// given options in dialect d, for teams that manage their schema with their
// own tools (set Options.SkipMigrations when they do). The SQL is exactly
// what [Store.Migrate] runs, less its bookkeeping table.
func Migrations(d Dialect, optFns ...func(*Options)) ([]Migration, error) {
	o := Options{Dialect: d}
	for _, fn := range optFns {
		fn(&o)
	}
	o.Dialect = d
	dl, err := o.resolve(nil)
	if err != nil {
		return nil, err
	}
	return newStore(nil, dl, o).migrations()
}

func (s *Store) migrations() ([]Migration, error) {
	dir := path.Join("migrations", string(s.d.name))
	files, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	migs := make([]Migration, 0, len(files))
	for _, f := range files {
		version, _, ok := strings.Cut(f.Name(), "_")
		v, err := strconv.Atoi(version)
		if !ok || err != nil {
			return nil, fmt.Errorf("sqlstore: migration %s is not named VERSION_name.sql", f.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, f.Name()))
		if err != nil {
			return nil, err
		}
		migs = append(migs, Migration{Version: v, SQL: s.expand(string(b))})
	}
	return migs, nil
}

// statements splits a migration script into its statements.
func statements(script string) []string {
	var out []string
	for _, st := range strings.Split(script, ";\n") {
		if st = strings.TrimSpace(st); st != "" {
			out = append(out, st)
		}
	}
	return out
}

// bookkeeping is the table that records applied migrations, and the
// database's expression for the current time in it.
var bookkeeping = map[Dialect]struct{ table, now string }{
	Postgres: {`CREATE TABLE IF NOT EXISTS ${schema_migrations} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)`, "now()"},
	MySQL:    {`CREATE TABLE IF NOT EXISTS ${schema_migrations} (version int NOT NULL PRIMARY KEY, applied_at datetime(6) NOT NULL) ENGINE=InnoDB`, "UTC_TIMESTAMP(6)"},
	SQLite:   {`CREATE TABLE IF NOT EXISTS ${schema_migrations} (version integer NOT NULL PRIMARY KEY, applied_at text NOT NULL)`, "strftime('%Y-%m-%d %H:%M:%f000', 'now')"},
}

// migrationLockWait bounds how long MySQL waits for another process's
// migration to finish when ctx has no deadline.
const migrationLockWait = 5 * time.Minute

// Migrate applies every embedded migration the database has not seen,
// recording each in the schema_migrations table. It holds a database lock
// while it runs (an advisory lock on PostgreSQL, a named lock on MySQL, the
// write lock on SQLite), so processes that start together migrate once and
// the others wait. Running it again is a no-op. [New] calls it unless
// Options.SkipMigrations is set.
func (s *Store) Migrate(ctx context.Context) error {
	migs, err := s.migrations()
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer conn.Close()
	bk := bookkeeping[s.d.name]
	err = s.locked(ctx, conn, func(ex execer) error {
		if _, err := ex.ExecContext(ctx, s.q(bk.table)); err != nil {
			return err
		}
		var current int
		if err := ex.QueryRowContext(ctx, s.q("SELECT COALESCE(MAX(version), 0) FROM ${schema_migrations}")).Scan(&current); err != nil {
			return err
		}
		for _, m := range migs {
			if m.Version <= current {
				continue
			}
			for _, st := range statements(m.SQL) {
				if _, err := ex.ExecContext(ctx, st); err != nil {
					return fmt.Errorf("version %d: %w", m.Version, err)
				}
			}
			if _, err := ex.ExecContext(ctx, s.q("INSERT INTO ${schema_migrations} (version, applied_at) VALUES (?, "+bk.now+")"), m.Version); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return nil
}

// execer is what *sql.Conn and *sql.Tx have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// locked runs fn on conn while holding the migration lock of the Store's
// tables.
func (s *Store) locked(ctx context.Context, conn *sql.Conn, fn func(execer) error) error {
	h := fnv.New64a()
	h.Write([]byte(s.lockKey))
	key := h.Sum64()
	switch s.d.name {
	case Postgres:
		// PostgreSQL DDL is transactional: the whole migration commits or
		// none of it, and the lock ends with the transaction.
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(key)); err != nil {
			return errors.Join(err, ignoreDone(tx.Rollback()))
		}
		if err := fn(tx); err != nil {
			return errors.Join(err, ignoreDone(tx.Rollback()))
		}
		return tx.Commit()
	case MySQL:
		// MySQL DDL commits as it goes; a named lock, held by this
		// session, keeps other processes out until it is released.
		name := fmt.Sprintf("sesguard:%016x", key)
		wait := migrationLockWait
		if dl, ok := ctx.Deadline(); ok {
			wait = time.Until(dl)
		}
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, max(1, int(wait.Seconds()+0.5))).Scan(&got); err != nil {
			return err
		}
		if got.Int64 != 1 {
			return fmt.Errorf("another process held the migration lock %s for %v", name, wait)
		}
		err := fn(conn)
		var released sql.NullInt64
		if rerr := conn.QueryRowContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", name).Scan(&released); rerr != nil || released.Int64 != 1 {
			// Closing the session is the other way to let the lock go.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		return err
	default:
		// SQLite DDL is transactional; BEGIN IMMEDIATE takes the write
		// lock at once, waiting up to the connection's busy_timeout.
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return err
		}
		err := fn(conn)
		if err == nil {
			_, err = conn.ExecContext(ctx, "COMMIT")
		}
		if err != nil {
			if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
				// A connection left inside a transaction must not go back
				// to the pool.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}
		return err
	}
}
