package sqlstore_test

import (
	"context"
	"database/sql"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// migrationRows returns how many rows, and how many distinct versions, the
// bookkeeping table of the tables with prefix p holds.
func migrationRows(t *testing.T, s *sqlstore.Store, db *sql.DB, p string) (rows, versions int) {
	t.Helper()
	table := `"` + p + `schema_migrations"`
	if s.Dialect() == sqlstore.MySQL {
		table = "`" + p + "schema_migrations`"
	}
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*), COUNT(DISTINCT version) FROM "+table).Scan(&rows, &versions); err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	return rows, versions
}

func TestMigrationsRunOnceWhenProcessesStartTogether(t *testing.T) {
	const processes = 6
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			// Each "process" has a handle of its own on one database.
			dbs := make([]*sql.DB, processes)
			if b.name == "SQLite" {
				path := filepath.Join(t.TempDir(), "shared.db")
				for i := range dbs {
					dbs[i] = openSQLiteFile(t, path)
				}
			} else {
				for i := range dbs {
					dbs[i] = b.open(t)
				}
			}
			p := prefix(t)
			t.Cleanup(func() {
				if err := sqlstore.DropPrefix(ctx, dbs[0], b.dialect, p); err != nil {
					t.Errorf("dropping the test tables: %v", err)
				}
			})
			withPrefix := func(o *sqlstore.Options) { o.TablePrefix = p }
			stores := make([]*sqlstore.Store, processes)
			errs := make([]error, processes)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range processes {
				wg.Go(func() {
					<-start
					stores[i], errs[i] = sqlstore.New(ctx, dbs[i], withPrefix)
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("process %d: New: %v", i, err)
				}
			}
			var s *sqlstore.Store
			for _, st := range stores {
				if st != nil {
					s = st
				}
			}
			if s == nil {
				t.Fatal("no process could migrate")
			}
			migs, err := sqlstore.Migrations(s.Dialect(), withPrefix)
			if err != nil {
				t.Fatal(err)
			}
			if rows, versions := migrationRows(t, s, dbs[0], p); rows != len(migs) || versions != len(migs) {
				t.Errorf("after %d concurrent migrations the bookkeeping holds %d rows of %d versions, want %d of %d", processes, rows, versions, len(migs), len(migs))
			}
			// Every process can use what one of them built.
			for i, st := range stores {
				if st == nil {
					continue
				}
				addr := "p" + string(rune('a'+i)) + "@example.com"
				mustPut(t, st, store.Suppression{Address: addr, Reason: store.ReasonManual})
				if _, ok := mustLookup(t, s, addr)[addr]; !ok {
					t.Errorf("process %d's Put not seen by another", i)
				}
			}
			t.Run("RerunIsANoOp", func(t *testing.T) {
				for range 2 {
					if err := s.Migrate(ctx); err != nil {
						t.Fatalf("Migrate again: %v", err)
					}
				}
				if rows, _ := migrationRows(t, s, dbs[0], p); rows != len(migs) {
					t.Errorf("re-running Migrate left %d bookkeeping rows, want %d", rows, len(migs))
				}
				if got := mustLookup(t, s, "pa@example.com"); len(got) != 1 {
					t.Errorf("re-running Migrate lost data: %v", got)
				}
			})
		})
	}
}

// TestSkipMigrationsUsesTheSchemaFromMigrations plays a team that runs the
// SQL of Migrations with its own tool.
func TestSkipMigrationsUsesTheSchemaFromMigrations(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			p := prefix(t)
			t.Cleanup(func() {
				if err := sqlstore.DropPrefix(ctx, db, b.dialect, p); err != nil {
					t.Errorf("dropping the test tables: %v", err)
				}
			})
			opts := func(o *sqlstore.Options) {
				o.TablePrefix = p
				o.SkipMigrations = true
			}
			if _, err := sqlstore.New(ctx, db, opts); err == nil || !strings.Contains(err.Error(), "Migrations") {
				t.Fatalf("New with SkipMigrations on an empty schema: error %v, want one that points to Migrations", err)
			}
			migs, err := sqlstore.Migrations(b.dialect, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range migs {
				for st := range strings.SplitSeq(m.SQL, ";\n") {
					if strings.TrimSpace(st) == "" {
						continue
					}
					if _, err := db.ExecContext(ctx, st); err != nil {
						t.Fatalf("running migration %d by hand: %v\n%s", m.Version, err, st)
					}
				}
			}
			s, err := sqlstore.New(ctx, db, opts)
			if err != nil {
				t.Fatalf("New with SkipMigrations after the schema was made by hand: %v", err)
			}
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("closing the store: %v", err)
				}
			})
			mustPut(t, s, store.Suppression{Address: "byhand@example.com", Reason: store.ReasonBounce})
			if n, err := s.AddTransientBounce(ctx, "soft@example.com", "b1", epoch, time.Hour); err != nil || n != 1 {
				t.Errorf("AddTransientBounce = %d, %v; want 1, nil", n, err)
			}
		})
	}
}

// TestPackageDocShowsTheSchema keeps the schema in the package doc equal to
// what Migrate runs on PostgreSQL with the default prefix.
func TestPackageDocShowsTheSchema(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := squash(f.Doc.Text())
	migs, err := sqlstore.Migrations(sqlstore.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migs {
		for st := range strings.SplitSeq(m.SQL, ";\n") {
			if st = squash(st); st != "" && !strings.Contains(doc, st) {
				t.Errorf("the package doc does not show this statement of migration %d:\n%s", m.Version, st)
			}
		}
	}
}

// squash collapses every run of white space to one space.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
