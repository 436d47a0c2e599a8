package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/sesguard/sesguard/examples/internal/exampledb"
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
	t.Cleanup(func() {
		if err := exampledb.DropTables(context.Background(), cfg.dsn, cfg.tablePrefix); err != nil {
			t.Error(err)
		}
	})
	return cfg
}
