package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A backend is a database the examples' store can live in.
type backend struct {
	name    string
	env     string // the variable holding the server's DSN; "" for SQLite
	example string
}

var backends = []backend{
	{"SQLite", "", ""},
	{"Postgres", "SESGUARD_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	{"MySQL", "SESGUARD_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test?parseTime=true"},
}

// storeConfig returns cfg set to keep its store in be, in tables of their
// own that are dropped when t ends, or skips t when be is a server whose
// DSN is not set.
func (be backend) storeConfig(t testing.TB, cfg config) config {
	t.Helper()
	if be.env == "" {
		cfg.sqlite = filepath.Join(t.TempDir(), "sesguard.db")
		return cfg
	}
	cfg.dsn = os.Getenv(be.env)
	if cfg.dsn == "" {
		t.Skipf("%s is not set; set it to run against a real server, e.g. %s=%q", be.env, be.env, be.example)
	}
	b := make([]byte, 4)
	rand.Read(b)
	cfg.tablePrefix = "webhook_" + hex.EncodeToString(b) + "_"
	t.Cleanup(func() { dropTables(t, cfg.dsn, cfg.tablePrefix) })
	return cfg
}

// dropTables drops the tables whose names begin with prefix.
func dropTables(t testing.TB, dsn, prefix string) {
	ctx := context.Background()
	_, db, err := openStore(ctx, dsn, "", prefix)
	if err != nil {
		t.Errorf("drop the test tables: %v", err)
		return
	}
	defer db.Close()
	schema := "DATABASE()" // MySQL
	if strings.HasPrefix(dsn, "postgres") {
		schema = "current_schema()"
	}
	rows, err := db.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = "+schema+" AND table_name LIKE '"+prefix+"%'")
	if err != nil {
		t.Errorf("list the test tables: %v", err)
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Error(err)
		}
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DROP TABLE "+n); err != nil {
			t.Errorf("drop %s: %v", n, err)
		}
	}
}

func TestOpenStoreSaysWhichDatabaseFailed(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"PostgresURL", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "open the pgx store"},
		{"PostgresqlURL", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", "open the pgx store"},
		{"MySQLDSN", "nobody@tcp(127.0.0.1:1)/none?timeout=2s", "open the mysql store"},
		{"NotADSN", "db.internal:5432", "open the mysql store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := openStore(context.Background(), tt.dsn, "ignored.db", "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one beginning %q", err, tt.want)
			}
		})
	}
}
