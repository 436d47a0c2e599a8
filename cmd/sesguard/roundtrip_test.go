package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportFile writes n rows in export's CSV form and order, with every
// column used, so that an import and export of it must give it back byte
// for byte.
func exportFile(tb testing.TB, n int) string {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString(strings.Join(columns, ",") + "\n")
	reasons := []string{"BOUNCE", "COMPLAINT", "SOFT_BOUNCE", "MANUAL", "UNSUBSCRIBE", "INVALID"}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		expires := ""
		if i%3 == 0 {
			expires = formatTime(base.Add(time.Duration(i) * time.Minute).Add(30 * 24 * time.Hour))
		}
		scope := ""
		if i%5 == 0 {
			scope = "newsletter"
		}
		fmt.Fprintf(&b, "user%07d@example%d.com,%s,%s,\"smtp; 550 5.1.1 user unknown, row %d\",%s,%s,%s\n",
			i, i%7, scope, reasons[i%len(reasons)], i, fmt.Sprintf("0100018c-%08x", i),
			formatTime(base.Add(time.Duration(i)*time.Second)), expires)
	}
	path := filepath.Join(tb.TempDir(), "list.csv")
	require.NoError(tb, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

// roundTrip imports path into the store of args, exports it back, and
// returns the export.
func roundTrip(tb testing.TB, args []string, path string) (string, time.Duration, time.Duration) {
	tb.Helper()
	out := filepath.Join(filepath.Dir(path), "export.csv")
	run := func(cmd ...string) {
		var stdout, stderr bytes.Buffer
		a := newApp(strings.NewReader(""), &stdout, &stderr)
		a.now = func() time.Time { return testNow }
		code := a.run(context.Background(), append(cmd, args...))
		require.Equal(tb, exitOK, code, stderr.String())
	}
	start := time.Now()
	run("suppress", "import", path)
	imported := time.Since(start)
	start = time.Now()
	run("suppress", "export", out)
	exported := time.Since(start)
	b, err := os.ReadFile(out)
	require.NoError(tb, err)
	return string(b), imported, exported
}

// TestRoundTripLossless: an import exported again gives back the input
// byte for byte, and importing it again changes nothing.
func TestRoundTripLossless(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			args := storeArgs(t, dsn)
			path := exportFile(t, 10_000)
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			got, _, _ := roundTrip(t, args, path)
			assert.Equal(t, string(want), got, "the round trip lost something")
			again, _, _ := roundTrip(t, args, path)
			assert.Equal(t, got, again, "importing again changed the list")
		})
	}
}

// BenchmarkImportExport100k imports 100,000 rows of CSV into a new store,
// exports them again, checks that nothing was lost, and reports rows per
// second of each half. Run it with -benchtime=1x.
func BenchmarkImportExport100k(b *testing.B) {
	const rows = 100_000
	path := exportFile(b, rows)
	want, err := os.ReadFile(path)
	require.NoError(b, err)
	for name, dsn := range stores(b) {
		b.Run(name, func(b *testing.B) {
			var imported, exported time.Duration
			for i := range b.N {
				if name == "sqlite" {
					dsn = "sqlite:" + filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.db", i))
				}
				p := fmt.Sprintf("bench%d_", i)
				got, im, ex := roundTrip(b, []string{"--store", dsn, "--table-prefix", p}, path)
				if got != string(want) {
					b.Fatal("the round trip lost something")
				}
				if name != "sqlite" {
					b.StopTimer()
					dropTables(b, dsn, p)
					b.StartTimer()
				}
				imported += im
				exported += ex
			}
			b.ReportMetric(float64(rows*b.N)/imported.Seconds(), "import-rows/s")
			b.ReportMetric(float64(rows*b.N)/exported.Seconds(), "export-rows/s")
		})
	}
}
