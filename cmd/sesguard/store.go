package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for postgres:// DSNs
	_ "modernc.org/sqlite"             // the "sqlite" driver, for sqlite: DSNs

	"github.com/sesguard/sesguard/store/sqlstore"
)

// defaultStore is the --store of a command run without one: a SQLite file
// in the working directory.
const defaultStore = "sqlite:sesguard.db"

// storeFlags are the flags of the commands that open the suppression list.
type storeFlags struct {
	dsn    string
	prefix string
}

// openStore opens the SQL suppression list at dsn, creating or migrating
// its tables: sqlite:PATH (a file, in WAL mode with a busy timeout),
// postgres://... or postgresql://..., mysql://user:pass@host:port/db.
func openStore(ctx context.Context, f storeFlags) (*sqlstore.Store, *sql.DB, error) {
	driver, dsn, err := driverDSN(f.dsn)
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open the store: %w", err)
	}
	st, err := sqlstore.New(ctx, db, func(o *sqlstore.Options) { o.TablePrefix = f.prefix })
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("open the store %s: %w", redact(f.dsn), err)
	}
	return st, db, nil
}

// driverDSN turns a --store value into a database/sql driver name and DSN.
func driverDSN(s string) (driver, dsn string, err error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if path == "" {
			return "", "", usagef("--store %q: want sqlite:PATH", s)
		}
		return "sqlite", "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)", nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return "pgx", s, nil
	case strings.HasPrefix(s, "mysql://"):
		u, err := url.Parse(s)
		if err != nil {
			return "", "", usagef("--store: %v", err)
		}
		q := u.Query()
		q.Set("parseTime", "true")
		user := u.User.Username()
		if pw, ok := u.User.Password(); ok {
			user += ":" + pw
		}
		dsn := fmt.Sprintf("%s@tcp(%s)%s?%s", user, u.Host, u.Path, q.Encode())
		if _, err := mysql.ParseDSN(dsn); err != nil {
			return "", "", usagef("--store: %v", err)
		}
		return "mysql", dsn, nil
	}
	return "", "", usagef("--store %q: want sqlite:PATH, postgres://... or mysql://...", redact(s))
}

// redact hides the password of a DSN URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
