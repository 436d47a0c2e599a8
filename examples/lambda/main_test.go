package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesguard/sesguard/examples/internal/exampledb"
)

// dsns are the databases the function's store can live in: a new SQLite
// file, and the PostgreSQL and MySQL servers named by the environment.
var dsns = []struct {
	name, env, example string
}{
	{"SQLite", "", ""},
	{"Postgres", "SESGUARD_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
	{"MySQL", "SESGUARD_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test?parseTime=true"},
}

// testEnv returns the function's environment for a store in the database
// named by env, in tables of their own that are dropped when t ends, or
// skips t when env is not set.
func testEnv(t *testing.T, env, example string) map[string]string {
	t.Helper()
	if env == "" {
		return map[string]string{"SESGUARD_DSN": "file:" + filepath.Join(t.TempDir(), "s.db")}
	}
	dsn := os.Getenv(env)
	if dsn == "" {
		t.Skipf("%s is not set; set it to run against a real server, e.g. %s=%q", env, env, example)
	}
	b := make([]byte, 4)
	rand.Read(b)
	prefix := "lambda_" + hex.EncodeToString(b) + "_"
	t.Cleanup(func() {
		if err := exampledb.DropTables(context.Background(), dsn, prefix); err != nil {
			t.Error(err)
		}
	})
	return map[string]string{"SESGUARD_DSN": dsn, "SESGUARD_TABLE_PREFIX": prefix}
}

// The function main starts, on each database, for each trigger: an event
// applied through it is in the store when the store is opened again.
func TestFunctionOnEachStore(t *testing.T) {
	for _, db := range dsns {
		for _, trigger := range []string{"", "sns", "sqs"} {
			t.Run(db.name+"/"+or(trigger, "default"), func(t *testing.T) {
				env := testEnv(t, db.env, db.example)
				env["SESGUARD_TRIGGER"] = trigger
				fn, handle, err := newFunction(context.Background(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				defer handle.Close()
				event := snsEvent(t, read(t, "django-ses-bounce-notification.json"))
				if trigger == "sqs" {
					event = sqsEvent(t, "m-1", string(read(t, "django-ses-bounce-notification.json")))
				}
				out, err := invoke(fn, event)
				if err != nil {
					t.Fatalf("invoke: %v", err)
				}
				if trigger == "sqs" {
					if got := failures(t, out); len(got) != 0 {
						t.Errorf("batchItemFailures %v", got)
					}
				} else if string(out) != "null" {
					t.Errorf("SNS handler answered %s, want null", out)
				}
				st, again, err := exampledb.Open(context.Background(), env["SESGUARD_DSN"], env["SESGUARD_TABLE_PREFIX"])
				if err != nil {
					t.Fatal(err)
				}
				defer again.Close()
				got, err := st.Lookup(context.Background(), []string{"bounce@simulator.amazonses.com"})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].Reason != "BOUNCE" {
					b, _ := json.Marshal(got)
					t.Errorf("store holds %s, want a BOUNCE for bounce@simulator.amazonses.com", b)
				}
			})
		}
	}
}

func TestFunctionRefusesABadEnvironment(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoStore", map[string]string{}, "set SESGUARD_DYNAMODB_TABLE (DynamoDB) or SESGUARD_DSN (SQL)"},
		{"UnknownTrigger", map[string]string{"SESGUARD_DSN": "file:x.db", "SESGUARD_TRIGGER": "kinesis"}, "want sns or sqs"},
		{"DatabaseDown", map[string]string{"SESGUARD_DSN": "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, "open the pgx store"},
		{"BadTablePrefix", map[string]string{"SESGUARD_DSN": "file:" + filepath.Join(t.TempDir(), "s.db"), "SESGUARD_TABLE_PREFIX": "mail-"}, "TablePrefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := newFunction(context.Background(), func(k string) string { return tt.env[k] }, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func or(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}
