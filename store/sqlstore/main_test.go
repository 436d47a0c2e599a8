package sqlstore_test

import (
	"io"
	"log"
	"os"
	"slices"
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
	os.Exit(code)
}

func atEnd(f func()) {
	afterAllMu.Lock()
	afterAll = append(afterAll, f)
	afterAllMu.Unlock()
}
