// Package exampledb opens the SQL suppression store that the webhook, sqs
// and lambda examples keep their list in. A program of your own does the
// same in a few lines: import the driver it needs and call sqlstore.New.
package exampledb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/sesguard/sesguard/store/sqlstore"
)

// Open opens the suppression list in the database at dsn: PostgreSQL for a
// postgres:// or postgresql:// URL, SQLite for a file: URI (see [SQLite]),
// MySQL for anything else. The pool keeps connections for 32 concurrent
// callers (sqlstore.ConfigurePool), as many as SNS's deliveries to a busy
// webhook. sqlstore.New creates or migrates its tables, named with
// tablePrefix. The caller closes the *sql.DB.
func Open(ctx context.Context, dsn, tablePrefix string) (*sqlstore.Store, *sql.DB, error) {
	driver := "mysql"
	switch {
	case dsn == "":
		return nil, nil, errors.New("no store: no DSN given")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		driver = "pgx"
	case strings.HasPrefix(dsn, "file:"):
		driver = "sqlite"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open the %s store: %w", driver, err)
	}
	sqlstore.ConfigurePool(db, 32)
	st, err := sqlstore.New(ctx, db, func(o *sqlstore.Options) { o.TablePrefix = tablePrefix })
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open the %s store: %w", driver, err)
	}
	return st, db, nil
}

// SQLite returns the DSN of the SQLite file at path, with a busy timeout and
// write-ahead logging so that several connections share it.
func SQLite(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
}

// DSN returns dsn, or, when it is empty, the DSN of the SQLite file at
// sqlitePath: the examples' -dsn and -sqlite flags.
func DSN(dsn, sqlitePath string) string {
	if dsn != "" {
		return dsn
	}
	return SQLite(sqlitePath)
}

// DropTables drops the tables of the PostgreSQL or MySQL database at dsn
// whose names begin with prefix: the tests' cleanup.
func DropTables(ctx context.Context, dsn, prefix string) error {
	_, db, err := Open(ctx, dsn, prefix)
	if err != nil {
		return fmt.Errorf("drop the test tables: %w", err)
	}
	defer db.Close()
	schema := "DATABASE()" // MySQL
	if strings.HasPrefix(dsn, "postgres") {
		schema = "current_schema()"
	}
	rows, err := db.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = "+schema+" AND table_name LIKE '"+prefix+"%'")
	if err != nil {
		return fmt.Errorf("list the test tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	var errs []error
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DROP TABLE "+n); err != nil {
			errs = append(errs, fmt.Errorf("drop %s: %w", n, err))
		}
	}
	return errors.Join(errs...)
}
