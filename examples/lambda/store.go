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

// openStore opens the suppression list in the database at dsn: PostgreSQL
// for a postgres:// or postgresql:// URL, SQLite for a file: URI (local
// runs and tests: a function's disk is its own and short-lived), MySQL for
// anything else. sqlstore.New creates or migrates its tables. The caller
// closes the *sql.DB.
func openStore(ctx context.Context, dsn, tablePrefix string) (*sqlstore.Store, *sql.DB, error) {
	driver := "mysql"
	switch {
	case dsn == "":
		return nil, nil, fmt.Errorf("no store: set SESGUARD_DSN")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		driver = "pgx"
	case strings.HasPrefix(dsn, "file:"):
		driver = "sqlite"
	}
	db, err := sql.Open(driver, dsn)
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
