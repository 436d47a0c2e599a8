package sqlstore_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// unknownDriver is a driver sqlstore cannot recognise; it never connects.
type unknownDriver struct{}

func (unknownDriver) Open(string) (driver.Conn, error) { return nil, errors.New("not a database") }

func init() { sql.Register("sqlstore-test-unknown", unknownDriver{}) }

func TestOptionsAreChecked(t *testing.T) {
	ctx := context.Background()
	unknown, err := sql.Open("sqlstore-test-unknown", "")
	if err != nil {
		t.Fatal(err)
	}
	defer unknown.Close()
	sqlite := openSQLite(t)
	for _, tc := range []struct {
		name string
		db   *sql.DB
		opt  func(*sqlstore.Options)
		want string
	}{
		{"NilDB", nil, func(o *sqlstore.Options) { o.Dialect = sqlstore.Postgres }, "nil *sql.DB"},
		{"UnknownDriverNeedsDialect", unknown, func(*sqlstore.Options) {}, "set Options.Dialect"},
		{"UnknownDialect", sqlite, func(o *sqlstore.Options) { o.Dialect = "oracle" }, "unknown dialect"},
		{"PrefixWithQuote", sqlite, func(o *sqlstore.Options) { o.TablePrefix = `x"; DROP TABLE y; --` }, "TablePrefix"},
		{"PrefixTooLong", sqlite, func(o *sqlstore.Options) { o.TablePrefix = strings.Repeat("p", 31) }, "TablePrefix"},
		{"SchemaWithDot", sqlite, func(o *sqlstore.Options) { o.Schema = "a.b" }, "Schema"},
		{"SchemaOnSQLite", sqlite, func(o *sqlstore.Options) { o.Schema = "main" }, "SQLite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlstore.New(ctx, tc.db, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, %v; want an error mentioning %q", s, err, tc.want)
			}
		})
	}
}

func TestDialectIsDetectedFromTheDriver(t *testing.T) {
	for _, tc := range []struct {
		b    backend
		want sqlstore.Dialect
	}{
		{backends[0], sqlstore.Postgres},
		{backends[1], sqlstore.MySQL},
		{backends[2], sqlstore.SQLite},
	} {
		t.Run(tc.b.name, func(t *testing.T) {
			if got := newStore(t, tc.b.open(t)).Dialect(); got != tc.want {
				t.Errorf("Dialect() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSchemaQualifiesEveryTable puts the tables in a schema (a database on
// MySQL) of their own.
func TestSchemaQualifiesEveryTable(t *testing.T) {
	ctx := context.Background()
	for _, b := range servers {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			schema := strings.TrimSuffix(prefix(t), "_")
			create, drop := `CREATE SCHEMA "`+schema+`"`, `DROP SCHEMA "`+schema+`" CASCADE`
			if b.name == "MySQL" {
				create, drop = "CREATE DATABASE `"+schema+"`", "DROP DATABASE `"+schema+"`"
			}
			if _, err := db.ExecContext(ctx, create); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := db.ExecContext(ctx, drop); err != nil {
					t.Errorf("dropping schema %s: %v", schema, err)
				}
			})
			s, err := sqlstore.New(ctx, db, func(o *sqlstore.Options) { o.Schema = schema })
			if err != nil {
				t.Fatalf("New in schema %s: %v", schema, err)
			}
			mustPut(t, s, store.Suppression{Address: "schema@example.com", Reason: store.ReasonBounce})
			var n int
			q := "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE 'sesguard\\_%'"
			if b.name == "Postgres" {
				q = strings.Replace(q, "?", "$1", 1)
			}
			if err := db.QueryRowContext(ctx, q, schema).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := 6; n != want {
				t.Errorf("schema %s holds %d sesguard tables, want %d", schema, n, want)
			}
			if got := mustLookup(t, s, "schema@example.com"); len(got) != 1 {
				t.Errorf("Lookup in schema %s = %v", schema, got)
			}
		})
	}
}

// rawTime reads the created_at column of addr as the database holds it,
// rendered in UTC.
func rawTime(t *testing.T, db *sql.DB, d sqlstore.Dialect, table, addr string) string {
	t.Helper()
	q := map[sqlstore.Dialect]string{
		sqlstore.Postgres: `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM "` + table + `" WHERE address = $1`,
		sqlstore.MySQL:    "SELECT CAST(created_at AS CHAR) FROM `" + table + "` WHERE address = ?",
		sqlstore.SQLite:   `SELECT created_at FROM "` + table + `" WHERE address = ?`,
	}[d]
	var raw string
	if err := db.QueryRowContext(context.Background(), q, addr).Scan(&raw); err != nil {
		t.Fatalf("reading the stored time: %v", err)
	}
	return raw
}

func TestTimesAreStoredInUTCToTheMicrosecond(t *testing.T) {
	india := time.FixedZone("IST", 5*3600+1800)
	v := store.Suppression{
		Address:   "zoned@example.com",
		Reason:    store.ReasonSoftBounce,
		CreatedAt: time.Date(2026, 3, 14, 20, 39, 26, 535_123_999, india),
	}
	const want = "2026-03-14 15:09:26.535123"
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			p := prefix(t)
			s := newStore(t, db, func(o *sqlstore.Options) { o.TablePrefix = p })
			mustPut(t, s, v)
			if got := rawTime(t, db, s.Dialect(), p+"suppressions", v.Address); got != want {
				t.Errorf("stored created_at %q, want %q (UTC, microseconds)", got, want)
			}
			if got := mustLookup(t, s, v.Address)[v.Address].CreatedAt; !got.Equal(v.CreatedAt.Truncate(time.Microsecond)) || got.Location() != time.UTC {
				t.Errorf("CreatedAt read back as %v, want %v in UTC", got, v.CreatedAt)
			}
		})
	}
}

// TestMySQLTimesDoNotDependOnTheDSN reads and writes one table through
// connections whose time settings differ: the instant survives each.
func TestMySQLTimesDoNotDependOnTheDSN(t *testing.T) {
	ctx := context.Background()
	base := openMySQL(t)
	p := prefix(t)
	s := newStore(t, base, func(o *sqlstore.Options) { o.TablePrefix = p })
	cfg, err := mysql.ParseDSN(strings.TrimSpace(mysqlDSN()))
	if err != nil {
		t.Fatal(err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	for _, tc := range []struct {
		name string
		set  func(c *mysql.Config)
	}{
		{"ParseTimeInUTC", func(c *mysql.Config) { c.ParseTime, c.Loc = true, time.UTC }},
		{"ParseTimeInKolkata", func(c *mysql.Config) { c.ParseTime, c.Loc = true, kolkata }},
		{"NoParseTime", func(c *mysql.Config) { c.ParseTime = false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg.Clone()
			tc.set(c)
			conn, err := mysql.NewConnector(c)
			if err != nil {
				t.Fatal(err)
			}
			db := sql.OpenDB(conn)
			defer db.Close()
			other, err := sqlstore.New(ctx, db, func(o *sqlstore.Options) { o.TablePrefix = p })
			if err != nil {
				t.Fatal(err)
			}
			v := store.Suppression{Address: strings.ToLower(tc.name) + "@example.com", Reason: store.ReasonBounce,
				CreatedAt: epoch, ExpiresAt: epoch.Add(time.Hour)}
			mustPut(t, other, v)
			if got := rawTime(t, base, sqlstore.MySQL, p+"suppressions", v.Address); got != "2026-03-14 15:09:26.535123" {
				t.Errorf("stored %q, want the UTC wall clock", got)
			}
			for name, st := range map[string]*sqlstore.Store{"same": other, "default": s} {
				got := mustLookup(t, st, v.Address)[v.Address]
				if !got.CreatedAt.Equal(epoch) || !got.ExpiresAt.Equal(epoch.Add(time.Hour)) {
					t.Errorf("read through the %s connection: CreatedAt %v, ExpiresAt %v", name, got.CreatedAt, got.ExpiresAt)
				}
			}
		})
	}
}
