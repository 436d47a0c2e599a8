package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
)

// addCount adds n to the breaker counter name in the store at dsn.
func addCount(t *testing.T, args []string, name string, at time.Time, n int64) {
	t.Helper()
	st, db, err := openStore(context.Background(), storeFlags{dsn: args[1], prefix: args[3]})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, st.AddCount(context.Background(), store.Count{Name: name, Bucket: at.Truncate(10 * time.Second), N: n, KeepUntil: at.Add(48 * time.Hour)}))
}

func TestStats(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := storeArgs(t, dsn)
			in := filepath.Join(t.TempDir(), "in.csv")
			require.NoError(t, os.WriteFile(in, []byte("address,reason,created_at,expires_at\n"+
				"a@example.com,BOUNCE,2026-11-30T06:00:00Z,\n"+
				"b@example.com,BOUNCE,2026-11-20T00:00:00Z,\n"+
				"c@example.com,COMPLAINT,2025-01-01T00:00:00Z,\n"+
				"d@example.com,SOFT_BOUNCE,2026-11-29T00:00:00Z,2026-12-29T00:00:00Z\n"+
				"e@example.com,SOFT_BOUNCE,2026-10-01T00:00:00Z,2026-10-31T00:00:00Z\n"), 0o644))
			r := run(t, "", append([]string{"suppress", "import", in}, st...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			addCount(t, st, "sesguard:breaker:sent", testNow.Add(-time.Hour), 1000)
			addCount(t, st, "sesguard:breaker:bounced", testNow.Add(-time.Hour), 60)
			addCount(t, st, "sesguard:breaker:complained", testNow.Add(-30*time.Minute), 1)
			addCount(t, st, "sesguard:breaker:sent", testNow.Add(-48*time.Hour), 5000)

			r = run(t, "", append([]string{"stats"}, st...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "stats.txt", r.stdout)
			r = run(t, "", append([]string{"stats", "--json"}, st...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "stats.json", r.stdout)
			var rep statsReport
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
			assert.Equal(t, 4, rep.Suppressions.InForce)
			assert.Equal(t, 1, rep.Suppressions.Expired)
			assert.Equal(t, int64(1000), rep.Reputation.Sent, "the window leaves the older counts out")
			assert.InDelta(t, 0.06, rep.Reputation.BounceRate, 1e-9)
		})
	}
}
