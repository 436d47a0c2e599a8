package exampledb

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesguard/sesguard/store"
)

func TestOpenSaysWhichDatabaseFailed(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"NoDSN", "", "no store"},
		{"PostgresURL", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "open the pgx store"},
		{"PostgresqlURL", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", "open the pgx store"},
		{"MySQLDSN", "nobody@tcp(127.0.0.1:1)/none?timeout=2s", "open the mysql store"},
		{"NotADSN", "db.internal:5432", "open the mysql store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Open(context.Background(), tt.dsn, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one beginning %q", err, tt.want)
			}
		})
	}
}

func TestSQLiteStoreOutlivesItsHandle(t *testing.T) {
	ctx := context.Background()
	dsn := DSN("", filepath.Join(t.TempDir(), "s.db"))
	st, db, err := Open(ctx, dsn, "t_")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonBounce}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, db, err = Open(ctx, dsn, "t_")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := st.Lookup(ctx, []string{"a@example.com"})
	if err != nil || len(got) != 1 || got[0].Reason != store.ReasonBounce {
		t.Fatalf("reopened store: %v, %v", got, err)
	}
	if DSN("postgres://x", "ignored") != "postgres://x" {
		t.Error("DSN replaced a given DSN")
	}
}
