package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/sesguard/sesguard/store/sqlstore"
)

// openStore opens the suppression list: in the database at dsn when it is
// set — PostgreSQL for a postgres:// or postgresql:// URL, MySQL for
// anything else — or else in the SQLite file sqlite. sqlstore.New creates
// or migrates its tables. The caller closes the *sql.DB.
func openStore(ctx context.Context, dsn, sqlite, tablePrefix string) (*sqlstore.Store, *sql.DB, error) {
	driver, source := "sqlite", "file:"+sqlite+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		driver, source = "pgx", dsn
	case dsn != "":
		driver, source = "mysql", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, nil, fmt.Errorf("open the %s store: %w", driver, err)
	}
	st, err := sqlstore.New(ctx, db, func(o *sqlstore.Options) { o.TablePrefix = tablePrefix })
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open the %s store: %w", driver, err)
	}
	return st, db, nil
}
