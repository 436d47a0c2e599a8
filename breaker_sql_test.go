package sesguard_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// TestBreakerSharesCountsThroughSQL runs a webhook process and a sending
// process, each with its own database handle and sqlstore.Store on the same
// tables: the sender's breaker opens on the webhook's bounces and closes on
// its reset.
func TestBreakerSharesCountsThroughSQL(t *testing.T) {
	for _, be := range []struct{ name, driver, env string }{
		{"PostgreSQL", "pgx", "SESGUARD_POSTGRES_DSN"},
		{"SQLite", "sqlite", ""},
	} {
		t.Run(be.name, func(t *testing.T) {
			dsn := "file:" + filepath.Join(t.TempDir(), "sesguard.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
			if be.env != "" {
				if dsn = os.Getenv(be.env); dsn == "" {
					t.Skipf("%s is not set: skipping the breaker on a shared %s store", be.env, be.name)
				}
			}
			b := make([]byte, 5)
			rand.Read(b)
			prefix := "sgbrk" + hex.EncodeToString(b) + "_"
			process := func() *sqlstore.Store {
				db, err := sql.Open(be.driver, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				s, err := sqlstore.New(ctx, db, func(o *sqlstore.Options) { o.TablePrefix = prefix })
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			webhookStore, senderStore := process(), process()
			if be.driver == "pgx" {
				t.Cleanup(func() { dropPostgresTables(t, dsn, prefix) })
			}

			clk := newClock()
			webhook := newBreakerRun(t, clk, func(o *sesguard.Options) { o.Store = webhookStore })
			sender := newBreakerRun(t, clk, func(o *sesguard.Options) { o.Store = senderStore })
			sender.mustSend(200)
			clk.Advance(10 * time.Second)
			sender.mustSend(1) // writes the 200 to the database
			webhook.bounce(9)
			webhook.wantState(sesguard.BreakerOpen)
			clk.Advance(10 * time.Second)
			var open *sesguard.BreakerOpenError
			if err := sender.send(1); !errors.As(err, &open) || open.Count != 9 || open.Volume != 201 {
				t.Fatalf("the sender's breaker: %v, want it open on 9 bounces in 201", err)
			}
			if err := webhook.c.ResetBreaker(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(10 * time.Second)
			if err := sender.send(1); err != nil {
				t.Fatalf("the sender did not see the webhook's reset: %v", err)
			}
		})
	}
}

// dropPostgresTables drops the tables whose names begin with prefix.
func dropPostgresTables(t *testing.T, dsn, prefix string) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Error(err)
		return
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)", prefix)
	if err != nil {
		t.Error(err)
		return
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Error(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, name := range tables {
		if _, err := db.ExecContext(ctx, "DROP TABLE "+name); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	}
}
