package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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
	name string
	// open returns a new handle on the backend's test database, closed
	// when tb ends, or skips tb when the backend is not configured.
	open func(tb testing.TB) *sql.DB
}

var backends = []backend{
	{"Postgres", openPostgres},
	{"MySQL", openMySQL},
	{"SQLite", openSQLite},
}

// servers are the backends that run as separate servers.
var servers = backends[:2]

func openPostgres(tb testing.TB) *sql.DB {
	return openServer(tb, "pgx", "SESGUARD_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

func mysqlDSN() string { return os.Getenv("SESGUARD_MYSQL_DSN") }

func openMySQL(tb testing.TB) *sql.DB {
	return openServer(tb, "mysql", "SESGUARD_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test?parseTime=true")
}

func openServer(tb testing.TB, driver, env, example string) *sql.DB {
	tb.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		tb.Skipf("%s is not set; set it to run this test against a real server, e.g. %s=%q", env, env, example)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", env, err)
	}
	// The servers are shared with other packages' tests: keep to a few
	// connections.
	db.SetMaxOpenConns(12)
	db.SetMaxIdleConns(12)
	tb.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		tb.Fatalf("%s is set but the server does not answer: %v", env, err)
	}
	return db
}

// sqliteDSN is how the tests, and the package doc, open SQLite: a file in
// WAL mode, with a busy timeout so that writers on different connections
// wait for each other instead of failing.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
}

func openSQLite(tb testing.TB) *sql.DB {
	tb.Helper()
	return openSQLiteFile(tb, filepath.Join(tb.TempDir(), "sesguard.db"))
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

// prefix returns a table prefix no other test uses.
func prefix(tb testing.TB) string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "sgt" + hex.EncodeToString(b) + "_"
}

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
	})
	return s
}
