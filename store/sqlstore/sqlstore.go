package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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
// A Store is safe for concurrent use by multiple goroutines. It prepares its
// statements once and reuses them on every connection of the pool; [Store.Close]
// releases them. It does not own the *sql.DB: closing the DB is the
// caller's business.
type Store struct {
	db     *sql.DB
	d      *dialect
	prefix string
	// tables are the bare names of the tables, and table holds the
	// quoted, qualified name of each, and of the tables that older
	// versions of the schema had.
	tables []string
	table  map[string]string
	// writes, on SQLite, lets one write of this Store at a time through:
	// SQLite has one writer, and waiting here costs less than the sleeps
	// of its busy handler. Other processes still wait on busy_timeout.
	writes chan struct{}
	// lockKey names the lock that serialises migrations of these tables.
	lockKey string

	// nextShard turns the shards of the count rows.
	nextShard atomic.Uint32

	stmtsMu sync.Mutex
	stmts   []*stmt // every statement, for Close

	lookups []*stmt // lookups[i]: the lookup of 1<<i addresses
	put     *stmt
	del     *stmt
	list    *stmt
	// replaceSuffix makes an INSERT of suppressions replace a stored row
	// that store.Replaces allows it to; keepSuffix leaves it alone.
	replaceSuffix string
	keepSuffix    string
	purge         []*stmt
	counts        counterQueries
	bounces       bounceQueries
	marks         markQueries
}

var (
	_ store.Store         = (*Store)(nil)
	_ store.BounceCounter = (*Store)(nil)
	_ store.Deduper       = (*Store)(nil)
	_ store.Counter       = (*Store)(nil)
	_ store.Lister        = (*Store)(nil)
	_ store.Purger        = (*Store)(nil)
	_ store.Transactor    = (*Store)(nil)
)

// tables returns the tables a Store keeps, without prefix: the suppression
// list, applied marks, a row per address with transient bounces, a row
// per transient bounce, counter buckets, and the applied migrations, last.
func (d *dialect) tables() []string {
	return []string{"suppressions", "marks", "bounce_heads", "bounce_records", "counts", "schema_migrations"}
}

// legacyTables are the tables of version 1 of the schema that version 2
// copies and drops; migrations still name them.
var legacyTables = []string{"claims", "bounces", "bounce_events"}

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
	if err == nil {
		err = s.prepareAll(ctx)
	}
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func newStore(db *sql.DB, d *dialect, o Options) *Store {
	s := &Store{db: db, d: d, prefix: o.TablePrefix, tables: d.tables(), table: make(map[string]string)}
	s.nextShard.Store(rand.Uint32())
	if d.name == SQLite {
		s.writes = make(chan struct{}, 1)
	}
	for _, t := range slices.Concat(s.tables, legacyTables) {
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
	for t, name := range s.table {
		q = strings.ReplaceAll(q, "${"+t+"}", name)
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

// Close releases the statements the Store prepared. It does not close the
// *sql.DB. A Store may not be used after Close.
func (s *Store) Close() error {
	s.stmtsMu.Lock()
	defer s.stmtsMu.Unlock()
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.close())
	}
	return errors.Join(errs...)
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

// ignoreDone drops the error of rolling back a transaction that the driver
// already ended (as database/sql does when ctx is cancelled).
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
