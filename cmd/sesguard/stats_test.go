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

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/sestest"
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

// TestStatsReadsTheClientsCounts: stats reads the counters a sesguard
// Client sharing the store writes — recipients sent, and the bounces its
// notifications bring.
func TestStatsReadsTheClientsCounts(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	st, db, err := openStore(context.Background(), storeFlags{dsn: dsn, prefix: "sesguard_"})
	require.NoError(t, err)
	defer db.Close()
	srv := sestest.RunT(t, func(o *sestest.Options) { o.Now = func() time.Time { return testNow } })
	c, err := sesguard.New(srv.Client(), func(o *sesguard.Options) {
		o.Store, o.Now = st, func() time.Time { return testNow }
		o.Breaker.Refresh = time.Nanosecond // every send and application writes the counts so far
	})
	require.NoError(t, err)
	defer c.Close()
	for _, to := range []string{"a@example.com", "b@example.com", "bounce@simulator.amazonses.com", "c@example.com"} {
		_, err := c.Send(context.Background(), sendload.Simple(to))
		require.NoError(t, err)
	}
	for _, n := range srv.Notifications() {
		if n.Type != "Bounce" {
			continue
		}
		ns, err := sesguard.Parse(n.Envelope())
		require.NoError(t, err)
		for _, note := range ns {
			_, err := c.Apply(context.Background(), note)
			require.NoError(t, err)
		}
	}

	r := run(t, "", "stats", "--store", dsn, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var rep statsReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Equal(t, int64(4), rep.Reputation.Sent, "the four recipients sent, written by the refreshes of the sends and of the bounce")
	assert.Equal(t, int64(1), rep.Reputation.Bounced)
	assert.Equal(t, 1, rep.Suppressions.InForce, "the bounced address")

	// get says why, since when, and which notification did it.
	r = run(t, "", "suppress", "get", "bounce@simulator.amazonses.com", "--store", dsn)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "is suppressed for all mail: BOUNCE since 2026-11-30T12:00:00Z")
	assert.Contains(t, r.stdout, "550 5.1.1 user unknown")
	assert.Contains(t, r.stdout, "source: the SES bounce or complaint with feedback id 0100", r.stdout)
}
