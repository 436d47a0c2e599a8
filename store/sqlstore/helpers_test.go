package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/sesguard/sesguard/store/sqlstore"
)

// A backend is a database the tests run against.
type backend struct {
	name    string
	dialect sqlstore.Dialect
	driver  string
	// env names the variable that holds the server's DSN, and example
	// is a DSN for it; SQLite, which runs in-process, has neither.
	env, example string
}

var backends = []backend{
	{"Postgres", sqlstore.Postgres, "pgx", "SESGUARD_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	{"MySQL", sqlstore.MySQL, "mysql", "SESGUARD_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test?parseTime=true"},
	{"SQLite", sqlstore.SQLite, "sqlite", "", ""},
}

// servers are the backends that run as separate servers.
var servers = backends[:2]

// dsn returns the backend's DSN, with an SQLite file in dir, or skips tb
// when the backend is not configured.
func (be backend) dsn(tb testing.TB, dir string) string {
	tb.Helper()
	if be.env == "" {
		return sqliteDSN(filepath.Join(dir, "sesguard.db"))
	}
	dsn := os.Getenv(be.env)
	if dsn == "" {
		tb.Skipf("%s is not set; set it to run this test against a real server, e.g. %s=%q", be.env, be.env, be.example)
	}
	return dsn
}

// connect opens and pings a handle on dsn.
func (be backend) connect(dsn string) (*sql.DB, error) {
	db, err := sql.Open(be.driver, dsn)
	if err != nil {
		return nil, err
	}
	// The servers are shared with other packages' tests: keep to a few
	// connections.
	db.SetMaxOpenConns(12)
	db.SetMaxIdleConns(12)
	if err := db.PingContext(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s does not answer: %w", be.name, err)
	}
	return db, nil
}

// open returns a new handle on the backend's test database (a new SQLite
// file), closed when tb ends, or skips tb when the backend is not
// configured.
func (be backend) open(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := be.connect(be.dsn(tb, tb.TempDir()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func openMySQL(tb testing.TB) *sql.DB { return backends[1].open(tb) }

func mysqlDSN() string { return os.Getenv(backends[1].env) }

func openSQLite(tb testing.TB) *sql.DB { return backends[2].open(tb) }

// sqliteDSN is how the tests, and the package doc, open SQLite: a file in
// WAL mode, with a busy timeout so that writers on different connections
// wait for each other instead of failing.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
}

func openSQLiteFile(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		tb.Fatalf("open sqlite: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// runPrefix begins the name of every table and schema this run of the
// tests creates on the servers, so that TestMain can find what a test
// left behind.
var runPrefix = "sgt" + randomHex(3)

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// prefix returns a table prefix no other test uses.
func prefix(testing.TB) string { return runPrefix + randomHex(4) + "_" }

// newStore returns a migrated Store on db with tables of its own, dropped
// when tb ends.
func newStore(tb testing.TB, db *sql.DB, optFns ...func(*sqlstore.Options)) *sqlstore.Store {
	tb.Helper()
	p := prefix(tb)
	optFns = append([]func(*sqlstore.Options){func(o *sqlstore.Options) { o.TablePrefix = p }}, optFns...)
	s, err := sqlstore.New(context.Background(), db, optFns...)
	if err != nil {
		tb.Fatalf("sqlstore.New: %v", err)
	}
	tb.Cleanup(func() {
		if err := sqlstore.DropTables(context.Background(), s); err != nil {
			tb.Errorf("dropping the test tables: %v", err)
		}
		if err := s.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
	return s
}
