package faults_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/faultstore"
	"github.com/sesguard/sesguard/store"
)

// TestApplyMatrix runs faultstore's crash-after-each-step matrix on the
// SQL stores: every store call of applying a notification fails, loses
// its reply or panics in turn, the notification is redelivered, and the
// store must end as a run without faults left it. Batches go through
// sqlstore's transactions, and, without them, call by call as the webhook
// applies.
func TestApplyMatrix(t *testing.T) {
	for _, be := range []backend{postgres, mariadb, sqlite} {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			d := openDB(t, be)
			s := d.store(t, d.direct)
			t.Run("transactions", func(t *testing.T) {
				faultstore.RunApplyMatrix(t, func(t *testing.T) store.Store { d.empty(t); return s })
			})
			t.Run("no transactions", func(t *testing.T) {
				faultstore.RunApplyMatrix(t, func(t *testing.T) store.Store { d.empty(t); return faultstore.WithoutTransactor(s) })
			})
		})
	}
}

// empty deletes every row of the store's tables but its migrations', so
// that one migrated store serves as a new one.
func (d *db) empty(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	q, arg := "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", any(d.schema)
	switch d.be {
	case postgres:
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = $1"
	case sqlite:
		q, arg = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND ? = ''", ""
	}
	rows, err := d.direct.QueryContext(ctx, q, arg)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		if !strings.HasSuffix(name, "schema_migrations") {
			tables = append(tables, name)
		}
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, tables)
	for _, table := range tables {
		if d.schema != "" {
			table = d.schema + "." + table
		}
		_, err := d.direct.ExecContext(ctx, "DELETE FROM "+table)
		require.NoError(t, err)
	}
}
