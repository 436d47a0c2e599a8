package sesguard_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// sqlStore returns a migrated SQL store on backend, in a schema (or SQLite
// file) of its own that is dropped when t ends, or skips t when the
// backend's server is not configured.
func sqlStore(t *testing.T, backend string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 5)
	rand.Read(b)
	schema := "sgn" + hex.EncodeToString(b)
	var db *sql.DB
	var err error
	var opts func(*sqlstore.Options)
	switch backend {
	case "SQLite":
		db, err = sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "s.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	case "Postgres", "MySQL":
		env, driver := "SESGUARD_POSTGRES_DSN", "pgx"
		create, drop := `CREATE SCHEMA "`+schema+`"`, `DROP SCHEMA "`+schema+`" CASCADE`
		if backend == "MySQL" {
			env, driver = "SESGUARD_MYSQL_DSN", "mysql"
			create, drop = "CREATE DATABASE `"+schema+"`", "DROP DATABASE `"+schema+"`"
		}
		dsn := os.Getenv(env)
		if dsn == "" {
			t.Skipf("%s is not set: no %s server to test against", env, backend)
		}
		if db, err = sql.Open(driver, dsn); err != nil {
			t.Fatal(err)
		}
		if _, err = db.ExecContext(ctx, create); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.ExecContext(context.Background(), drop) })
		opts = func(o *sqlstore.Options) { o.Schema = schema }
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var optFns []func(*sqlstore.Options)
	if opts != nil {
		optFns = append(optFns, opts)
	}
	st, err := sqlstore.New(ctx, db, optFns...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func bounce(t *testing.T, feedbackID, bounceType, addr string) *sesguard.Notification {
	t.Helper()
	ns, err := sesguard.Parse(fmt.Appendf(nil, `{"notificationType":"Bounce","bounce":{"bounceType":%q,"bounceSubType":"General","feedbackId":%q,"bouncedRecipients":[{"emailAddress":%q}]},"mail":{"messageId":"m"}}`,
		bounceType, feedbackID, addr))
	if err != nil {
		t.Fatal(err)
	}
	return ns[0]
}

// TestApplySharedSQLStore runs two Clients, as two processes would, on one
// SQL store and applies notifications through both at once: a duplicate
// is applied once, and transient bounces are counted once each, across
// the two.
func TestApplySharedSQLStore(t *testing.T) {
	for _, backend := range []string{"Postgres", "MySQL", "SQLite"} {
		t.Run(backend, func(t *testing.T) {
			st := sqlStore(t, backend)
			var suppressed, counted atomic.Int32
			hook := func(_ context.Context, d sesguard.Decision) {
				switch d.Action {
				case sesguard.ActionSuppressed:
					suppressed.Add(1)
				case sesguard.ActionCounted:
					counted.Add(1)
				}
			}
			var clients []*sesguard.Client
			for range 2 {
				c, err := sesguard.New(sesv2.New(sesv2.Options{Region: "us-east-1"}), func(o *sesguard.Options) {
					o.Store = st
					o.Policy.OnDecision = hook
				})
				if err != nil {
					t.Fatal(err)
				}
				clients = append(clients, c)
			}
			apply := func(ns ...*sesguard.Notification) {
				var wg sync.WaitGroup
				for i, n := range ns {
					wg.Go(func() {
						if _, err := clients[i%2].Apply(context.Background(), n); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
			}

			hard := bounce(t, "hard-1", "Permanent", "gone@example.com")
			apply(hard, hard, hard, hard, hard, hard)
			if got := suppressed.Load(); got != 1 {
				t.Fatalf("%d suppress decisions for one bounce delivered six times, want 1", got)
			}

			suppressed.Store(0)
			soft1, soft2, soft3 := bounce(t, "soft-1", "Transient", "full@example.com"),
				bounce(t, "soft-2", "Transient", "full@example.com"), bounce(t, "soft-3", "Transient", "full@example.com")
			apply(soft1, soft2, soft1, soft2)
			if got := counted.Load(); got != 2 || suppressed.Load() != 0 {
				t.Fatalf("two soft bounces, each delivered twice: %d counted, %d suppressed; want 2, 0", got, suppressed.Load())
			}
			apply(soft3, soft3)
			s, ok, err := clients[1].Suppressed(context.Background(), "full@example.com")
			if err != nil || !ok || s.Reason != store.ReasonSoftBounce {
				t.Fatalf("after the third soft bounce: %v %+v %v", ok, s, err)
			}
		})
	}
}
