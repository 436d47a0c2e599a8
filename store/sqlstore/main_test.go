package sqlstore_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// afterAll holds what TestMain undoes once every test and benchmark ran:
// the 1M-row tables are built once per run and shared by the benchmarks.
var (
	afterAllMu sync.Mutex
	afterAll   []func()
)

func TestMain(m *testing.M) {
	// The fault tests drop connections on purpose; the MySQL driver would
	// log each one.
	mysql.SetLogger(log.New(io.Discard, "", 0))
	code := m.Run()
	afterAllMu.Lock()
	for _, f := range slices.Backward(afterAll) {
		f()
	}
	afterAllMu.Unlock()
	if left := leftovers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the tests left these on the servers (now dropped): %s\n", strings.Join(left, ", "))
		code = 1
	}
	os.Exit(code)
}

// leftovers finds, and drops, the tables and schemas of this run that
// are still on the servers: every test must drop what it creates.
func leftovers() []string {
	ctx := context.Background()
	var left []string
	for _, be := range servers {
		dsn := os.Getenv(be.env)
		if dsn == "" {
			continue
		}
		db, err := be.connect(dsn)
		if err != nil {
			left = append(left, err.Error())
			continue
		}
		q := `SELECT table_schema, table_name FROM information_schema.tables WHERE table_name LIKE $1 OR table_schema LIKE $2`
		quote := func(s string) string { return `"` + s + `"` }
		if be.name == "MySQL" {
			q = strings.NewReplacer("$1", "?", "$2", "?").Replace(q)
			quote = func(s string) string { return "`" + s + "`" }
		}
		rows, err := db.QueryContext(ctx, q, runPrefix+"%", runPrefix+"%")
		if err != nil {
			left = append(left, err.Error())
			db.Close()
			continue
		}
		var drops []string
		for rows.Next() {
			var schema, table string
			if err := rows.Scan(&schema, &table); err != nil {
				left = append(left, err.Error())
				break
			}
			left = append(left, be.name+" "+schema+"."+table)
			if strings.HasPrefix(schema, runPrefix) {
				if be.name == "MySQL" {
					drops = append(drops, "DROP DATABASE IF EXISTS "+quote(schema))
				} else {
					drops = append(drops, "DROP SCHEMA IF EXISTS "+quote(schema)+" CASCADE")
				}
			} else {
				drops = append(drops, "DROP TABLE IF EXISTS "+quote(schema)+"."+quote(table))
			}
		}
		rows.Close()
		for _, d := range drops {
			if _, err := db.ExecContext(ctx, d); err != nil {
				left = append(left, err.Error())
			}
		}
		db.Close()
	}
	return left
}

func atEnd(f func()) {
	afterAllMu.Lock()
	afterAll = append(afterAll, f)
	afterAllMu.Unlock()
}
