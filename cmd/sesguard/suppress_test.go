package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stores returns the --store values the tests run on: a SQLite file,
// and PostgreSQL and MariaDB when their DSNs are set (each test gets table
// names of its own, which it drops when it ends).
func stores(tb testing.TB) map[string]string {
	tb.Helper()
	out := map[string]string{"sqlite": "sqlite:" + filepath.Join(tb.TempDir(), "s.db")}
	if dsn := os.Getenv("SESGUARD_POSTGRES_DSN"); dsn != "" {
		out["postgres"] = dsn
	} else {
		tb.Log("SESGUARD_POSTGRES_DSN is not set: PostgreSQL skipped")
	}
	if dsn := os.Getenv("SESGUARD_MYSQL_DSN"); dsn != "" {
		cfg, err := mysql.ParseDSN(dsn)
		require.NoError(tb, err)
		u := url.URL{Scheme: "mysql", Host: cfg.Addr, Path: "/" + cfg.DBName}
		u.User = url.User(cfg.User)
		if cfg.Passwd != "" {
			u.User = url.UserPassword(cfg.User, cfg.Passwd)
		}
		out["mysql"] = u.String()
	} else {
		tb.Log("SESGUARD_MYSQL_DSN is not set: MariaDB skipped")
	}
	return out
}

// storeArgs returns the flags that open dsn with tables of the test's own,
// and drops those tables when the test ends.
func storeArgs(t *testing.T, dsn string) []string {
	t.Helper()
	p := prefix(t)
	if !strings.HasPrefix(dsn, "sqlite:") {
		t.Cleanup(func() { dropTables(t, dsn, p) })
	}
	return []string{"--store", dsn, "--table-prefix", p}
}

// dropTables drops the tables whose names begin with prefix.
func dropTables(t testing.TB, dsn, prefix string) {
	driver, conn, err := driverDSN(dsn)
	require.NoError(t, err)
	db, err := sql.Open(driver, conn)
	require.NoError(t, err)
	defer db.Close()
	q := "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE $1"
	if driver == "mysql" {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE ?"
	}
	rows, err := db.Query(q, prefix+"%")
	require.NoError(t, err)
	var names []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		names = append(names, n)
	}
	require.NoError(t, rows.Close())
	for _, n := range names {
		_, err := db.Exec("DROP TABLE " + n)
		assert.NoError(t, err)
	}
}

// prefix is a table prefix unique to the test, so that runs against a
// shared server do not see each other.
func prefix(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(t.Name()))
	if len(name) > 20 {
		name = name[len(name)-20:]
	}
	return fmt.Sprintf("c%d_%s_", os.Getpid()%10000, name)
}

func TestSuppressAddGetListRemove(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := storeArgs(t, dsn)
			sup := func(args ...string) result {
				return run(t, "", append(append([]string{"suppress"}, args...), st...)...)
			}

			r := sup("add", "Bob@Example.COM", "carol@example.com")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-add.txt", r.stdout)
			r = sup("add", "--reason", "complaint", "--detail", "ticket 4711", "--expires", "720h", "dave@example.com", "--json")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-add.json", r.stdout)

			r = sup("get", "bob@example.com", "nobody@example.com")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-get.txt", r.stdout)
			r = sup("get", "dave@example.com", "nobody@example.com", "--json")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-get.json", r.stdout)

			r = sup("list")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-list.txt", r.stdout)
			r = sup("list", "--reason", "COMPLAINT", "--json")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-list.json", r.stdout)

			// A list's suppression sits beside the one for all mail, and is
			// lifted alone.
			r = sup("add", "--scope", "newsletter", "--reason", "UNSUBSCRIBE", "bob@example.com", "erin@example.com")
			require.Equal(t, exitOK, r.code, r.stderr)
			r = sup("get", "bob@example.com")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-get-scopes.txt", r.stdout)
			r = sup("list", "--scope", "newsletter")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-list-scope.txt", r.stdout)
			r = sup("remove", "--scope", "newsletter", "erin@example.com")
			require.Equal(t, exitOK, r.code, r.stderr)
			r = sup("get", "erin@example.com", "--json")
			assert.Contains(t, r.stdout, `"suppressed": false`)

			r = sup("remove", "bob@example.com", "--json")
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "suppress-remove.json", r.stdout)
			r = sup("get", "bob@example.com", "--json")
			var got []lookup
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
			assert.False(t, got[0].Suppressed)
		})
	}
}

func TestSuppressUsage(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"bad store":      {"suppress", "list", "--store", "oracle://x"},
		"no address":     {"suppress", "add", "--store", "sqlite:" + filepath.Join(dir, "a.db")},
		"bad expiry":     {"suppress", "add", "--expires", "soon", "a@example.com", "--store", "sqlite:" + filepath.Join(dir, "a.db")},
		"bad format":     {"suppress", "export", "--format", "xml", "--store", "sqlite:" + filepath.Join(dir, "a.db")},
		"import no file": {"suppress", "import", "--store", "sqlite:" + filepath.Join(dir, "a.db")},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, "", args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
		})
	}
	r := run(t, "", "suppress", "add", "not an address", "--store", "sqlite:"+filepath.Join(dir, "a.db"))
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "not an address")
}

// TestImportExport round-trips CSV and JSON Lines, re-imports without
// change, and resumes from a checkpoint.
func TestImportExport(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := storeArgs(t, dsn)
			dir := t.TempDir()
			in := filepath.Join(dir, "in.csv")
			require.NoError(t, os.WriteFile(in, []byte("Address,Reason,Expires_At\n"+
				"a@example.com,,\n"+
				"B@Example.com,BOUNCE,\n"+
				"c@example.com,SOFT_BOUNCE,2027-01-01T00:00:00Z\n"+
				"d@example.com,complaint,2027-06-01\n"), 0o644))
			r := run(t, "", append([]string{"suppress", "import", in}, st...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, "imported 4 rows from "+in+"\n", r.stdout)

			export := func(format string) string {
				r := run(t, "", append([]string{"suppress", "export", "--format", format}, st...)...)
				require.Equal(t, exitOK, r.code, r.stderr)
				return r.stdout
			}
			csv1, jsonl1 := export("csv"), export("jsonl")
			golden(t, "export.csv", csv1)
			golden(t, "export.jsonl", jsonl1)

			// The export imported again changes nothing, in either format.
			for _, f := range []struct{ name, body string }{{"again.csv", csv1}, {"again.jsonl", jsonl1}} {
				path := filepath.Join(dir, f.name)
				require.NoError(t, os.WriteFile(path, []byte(f.body), 0o644))
				r = run(t, "", append([]string{"suppress", "import", path, "--json"}, st...)...)
				require.Equal(t, exitOK, r.code, r.stderr)
				assert.Equal(t, csv1, export("csv"), "re-importing %s changed the list", f.name)
			}

			// A checkpoint says 3 rows are done: only the fourth is read.
			ckpt := filepath.Join(dir, "in.ckpt")
			require.NoError(t, os.WriteFile(ckpt, []byte("3\n"), 0o644))
			r = run(t, "", append([]string{"suppress", "import", in, "--checkpoint", ckpt, "--json"}, st...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "import.json", strings.ReplaceAll(r.stdout, in, "IN.csv"))
			var sum importSummary
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum))
			assert.Equal(t, importSummary{Read: 1, Skipped: 3, Imported: 1, Input: in}, sum)
			assert.NoFileExists(t, ckpt, "a completed import removes its checkpoint")

			// A bad row stops the import, saying where, after the rows before it.
			bad := filepath.Join(dir, "bad.csv")
			require.NoError(t, os.WriteFile(bad, []byte("address,expires_at\ne@example.com,\nf@example.com,tomorrow\n"), 0o644))
			r = run(t, "", append([]string{"suppress", "import", bad}, st...)...)
			assert.Equal(t, exitFailure, r.code)
			assert.Contains(t, r.stderr, "row 2")
			assert.Contains(t, r.stderr, "tomorrow")
		})
	}
}
