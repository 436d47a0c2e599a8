package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sesguard/sesguard/store"
)

// Options configures a [Store]. Every zero value is a documented default.
type Options struct {
	// Dialect is the SQL dialect of the database. Zero: detected from the
	// driver of the *sql.DB, which works for github.com/jackc/pgx/v5/stdlib,
	// github.com/go-sql-driver/mysql and modernc.org/sqlite; set it for
	// any other driver.
	Dialect Dialect

	// Schema qualifies every table: a PostgreSQL schema or a MySQL
	// database, which must already exist. Zero: the connection's current
	// schema or database. SQLite has no schemas that outlive a connection,
	// so it must be empty there.
	Schema string

	// TablePrefix begins the name of every table and index, so that
	// several stores can share one schema. It holds letters, digits and
	// underscores, at most 30 of them. Zero: "sesguard_".
	TablePrefix string

	// SkipMigrations stops [New] from applying the embedded migrations;
	// it only checks that the tables exist. Set it when the schema is
	// managed with another tool from the SQL that [Migrations] returns.
	// Zero: New applies every pending migration.
	SkipMigrations bool
}

// DefaultTablePrefix is the TablePrefix of a zero Options.
const DefaultTablePrefix = "sesguard_"

// Store is a suppression list kept in a SQL database. It implements
// [store.Store] and every optional ability of package store, each with the
// database's own atomicity, so any number of processes may share one.
//
// A Store is safe for concurrent use by multiple goroutines. It does not own
// the *sql.DB: closing the DB is the caller's business.
type Store struct {
	db     *sql.DB
	d      *dialect
	prefix string
	// tables are the bare names of the tables, and table holds the
	// quoted, qualified name of each.
	tables []string
	table  map[string]string
	// writes, on SQLite, lets one write of this Store at a time through:
	// SQLite has one writer, and waiting here costs less than the sleeps
	// of its busy handler. Other processes still wait on busy_timeout.
	writes chan struct{}
	// lockKey names the lock that serialises migrations of these tables.
	lockKey string

	lookups       []string // lookups[i]: the lookup of 1<<i addresses
	put           string
	del           string
	list          string
	replaceSuffix string // makes an INSERT replace the row of an existing address
	keepSuffix    string // makes it leave that row alone
	purge         []string
	counts        counterQueries
	bounces       bounceQueries
	claims        claimQueries
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.BounceCounter = (*Store)(nil)
	_ store.Deduper       = (*Store)(nil)
	_ store.Counter       = (*Store)(nil)
	_ store.Lister        = (*Store)(nil)
	_ store.Purger        = (*Store)(nil)
)

// tables returns the tables a Store keeps, without prefix: the suppression
// list, a row per address with transient bounces, on MySQL and SQLite a row
// per transient bounce, notification claims, counter buckets, and the
// applied migrations, last.
func (d *dialect) tables() []string {
	if d.name == Postgres {
		return []string{"suppressions", "bounces", "claims", "counts", "schema_migrations"}
	}
	return []string{"suppressions", "bounces", "bounce_events", "claims", "counts", "schema_migrations"}
}

var identifier = regexp.MustCompile(`^[A-Za-z0-9_]*$`)

// resolve checks the options and returns the dialect they name.
func (o *Options) resolve(db *sql.DB) (*dialect, error) {
	if o.TablePrefix == "" {
		o.TablePrefix = DefaultTablePrefix
	}
	if !identifier.MatchString(o.TablePrefix) || len(o.TablePrefix) > 30 {
		return nil, fmt.Errorf("sqlstore: TablePrefix %q must be at most 30 letters, digits and underscores", o.TablePrefix)
	}
	if !identifier.MatchString(o.Schema) || len(o.Schema) > 63 {
		return nil, fmt.Errorf("sqlstore: Schema %q must be at most 63 letters, digits and underscores", o.Schema)
	}
	name := o.Dialect
	if name == "" {
		if db == nil {
			return nil, errors.New("sqlstore: no dialect named and no database to detect it from")
		}
		var err error
		if name, err = detectDialect(db.Driver()); err != nil {
			return nil, err
		}
	}
	d, ok := dialects[name]
	if !ok {
		return nil, fmt.Errorf("sqlstore: unknown dialect %q; use Postgres, MySQL or SQLite", name)
	}
	if d.name == SQLite && o.Schema != "" {
		return nil, errors.New("sqlstore: SQLite keeps no schemas across connections; leave Schema empty")
	}
	return d, nil
}

// New returns a Store that keeps its tables in db and, unless
// Options.SkipMigrations is set, brings their schema up to date. It is safe
// for several processes to call New on one database at once: migrations
// take a database lock and run once.
//
// The caller imports the driver; see the package documentation for the
// connection settings each database needs.
func New(ctx context.Context, db *sql.DB, optFns ...func(*Options)) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: New: nil *sql.DB")
	}
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	d, err := o.resolve(db)
	if err != nil {
		return nil, err
	}
	s := newStore(db, d, o)
	if o.SkipMigrations {
		err = s.checkTables(ctx)
	} else {
		err = s.Migrate(ctx)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func newStore(db *sql.DB, d *dialect, o Options) *Store {
	s := &Store{db: db, d: d, prefix: o.TablePrefix, tables: d.tables(), table: make(map[string]string)}
	if d.name == SQLite {
		s.writes = make(chan struct{}, 1)
	}
	for _, t := range s.tables {
		name := d.quote(o.TablePrefix + t)
		if o.Schema != "" {
			name = d.quote(o.Schema) + "." + name
		}
		s.table[t] = name
	}
	s.lockKey = "sesguard:" + o.Schema + "." + o.TablePrefix
	s.prepare()
	return s
}

// Dialect returns the dialect the Store speaks.
func (s *Store) Dialect() Dialect { return s.d.name }

// expand replaces ${table} with the quoted, qualified name of each table
// and ${prefix} with the table prefix.
func (s *Store) expand(q string) string {
	for _, t := range s.tables {
		q = strings.ReplaceAll(q, "${"+t+"}", s.table[t])
	}
	return strings.ReplaceAll(q, "${prefix}", s.prefix)
}

// q expands q and binds its placeholders.
func (s *Store) q(q string) string { return s.d.bind(s.expand(q)) }

// checkTables reports a missing table as an error that says how to create it.
func (s *Store) checkTables(ctx context.Context) error {
	for _, t := range s.tables[:len(s.tables)-1] {
		rows, err := s.db.QueryContext(ctx, "SELECT 1 FROM "+s.table[t]+" WHERE 1 = 0")
		if err != nil {
			return fmt.Errorf("sqlstore: table %s is not usable (SkipMigrations is set: create the schema from Migrations): %w", s.table[t], err)
		}
		rows.Close()
	}
	return nil
}

// gate waits for the Store's turn to write, on SQLite, and returns the
// function that ends it.
func (s *Store) gate(ctx context.Context) (func(), error) {
	if s.writes == nil {
		return func() {}, nil
	}
	select {
	case s.writes <- struct{}{}:
		return func() { <-s.writes }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// exec runs a statement that writes.
func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	done, err := s.gate(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.db.ExecContext(ctx, q, args...)
}

// queryRow runs a statement that writes and returns one row, into dest.
func (s *Store) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	done, err := s.gate(ctx)
	if err != nil {
		return err
	}
	defer done()
	return s.db.QueryRowContext(ctx, q, args...).Scan(dest...)
}

// inTx runs fn in a read-write transaction and commits it, or rolls it back
// when fn fails.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	done, err := s.gate(ctx)
	if err != nil {
		return err
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, s.d.txOptions)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

// ignoreDone drops the error of rolling back a transaction that the driver
// already ended (as database/sql does when ctx is cancelled).
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
