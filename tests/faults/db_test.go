package faults_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/sesguard/sesguard/internal/faultproxy"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// A backend is a database the suite runs against.
type backend struct {
	name string
	// env names the variable that holds the server's DSN, and example is
	// a DSN for it; SQLite, which runs in-process, has neither.
	env, example string
}

var (
	postgres = backend{"PostgreSQL", "SESGUARD_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"}
	mariadb  = backend{"MariaDB", "SESGUARD_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test?parseTime=true"}
	sqlite   = backend{name: "SQLite"}
	// servers are the backends that a proxy can stand in front of.
	servers = []backend{postgres, mariadb}
)

// db is a test database of its own on a backend: a PostgreSQL schema, a
// MariaDB database or an SQLite file, dropped when the test ends.
type db struct {
	be     backend
	dsn    string
	schema string // "" for SQLite
	direct *sql.DB
}

// openDB creates a test database on be, or skips t when be's DSN is unset.
func openDB(t *testing.T, be backend) *db {
	t.Helper()
	ctx := context.Background()
	if be == sqlite {
		path := filepath.Join(t.TempDir(), "sesguard.db")
		d := &db{be: be, dsn: "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"}
		d.direct = d.open(t, "")
		return d
	}
	dsn := os.Getenv(be.env)
	if dsn == "" {
		t.Skipf("%s is not set: no %s to test against; set it, e.g. %s=%q (CI does)", be.env, be.name, be.env, be.example)
	}
	b := make([]byte, 5)
	rand.Read(b)
	d := &db{be: be, dsn: dsn, schema: "sgfaults_" + hex.EncodeToString(b)}
	d.direct = d.open(t, "")
	create, drop := "CREATE SCHEMA "+d.schema, "DROP SCHEMA "+d.schema+" CASCADE"
	if be == mariadb {
		create, drop = "CREATE DATABASE "+d.schema, "DROP DATABASE "+d.schema
	}
	_, err := d.direct.ExecContext(ctx, create)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := d.direct.ExecContext(context.Background(), drop)
		require.NoError(t, err)
	})
	return d
}

// open returns a handle on the test database through addr ("host:port"),
// or straight to the server when addr is "", closed when t ends, with a
// pool large enough for 32 concurrent senders.
func (d *db) open(t *testing.T, addr string) *sql.DB {
	t.Helper()
	var h *sql.DB
	switch d.be {
	case postgres:
		cfg, err := pgx.ParseConfig(d.dsn)
		require.NoError(t, err)
		if addr != "" {
			host, port, err := net.SplitHostPort(addr)
			require.NoError(t, err)
			n, err := strconv.ParseUint(port, 10, 16)
			require.NoError(t, err)
			cfg.Host, cfg.Port, cfg.Fallbacks = host, uint16(n), nil
		}
		h = stdlib.OpenDB(*cfg)
	case mariadb:
		cfg, err := mysql.ParseDSN(d.dsn)
		require.NoError(t, err)
		if addr != "" {
			cfg.Net, cfg.Addr = "tcp", addr
		}
		h, err = sql.Open("mysql", cfg.FormatDSN())
		require.NoError(t, err)
	default:
		var err error
		h, err = sql.Open("sqlite", d.dsn)
		require.NoError(t, err)
	}
	h.SetMaxOpenConns(16)
	h.SetMaxIdleConns(16)
	t.Cleanup(func() { h.Close() })
	require.NoError(t, h.PingContext(context.Background()), "%s does not answer", d.be.name)
	return h
}

// target is the server's "host:port".
func (d *db) target(t *testing.T) string {
	t.Helper()
	if d.be == postgres {
		cfg, err := pgx.ParseConfig(d.dsn)
		require.NoError(t, err)
		return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	}
	cfg, err := mysql.ParseDSN(d.dsn)
	require.NoError(t, err)
	return cfg.Addr
}

// store returns a migrated Store on h in the test database.
func (d *db) store(t *testing.T, h *sql.DB) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(context.Background(), h, func(o *sqlstore.Options) { o.Schema = d.schema })
	require.NoError(t, err)
	return s
}

// proxied starts a fault proxy in front of the server and returns it with
// a handle whose every connection goes through it.
func (d *db) proxied(t *testing.T) (*faultproxy.Proxy, *sql.DB) {
	t.Helper()
	p, err := faultproxy.New(d.target(t))
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p, d.open(t, p.Addr())
}
