package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// A suppression list in an SQLite file: New creates the tables, and every
// process that opens the file shares the list.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sesguard-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "sesguard.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	st, err := sqlstore.New(ctx, db)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("dialect:", st.Dialect())

	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	_, err = st.Put(ctx, store.Suppression{
		Address:   "bounced@example.com",
		Reason:    store.ReasonBounce,
		Detail:    "Permanent/General: smtp; 550 5.1.1 user unknown",
		Source:    "0100017fe5d3e6f1",
		CreatedAt: now,
	})
	if err != nil {
		log.Fatal(err)
	}

	// A weaker suppression does not replace it.
	written, err := st.Put(ctx, store.Suppression{Address: "bounced@example.com", Reason: store.ReasonInvalid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("INVALID written over BOUNCE:", written)

	found, err := st.Lookup(ctx, []string{"bounced@example.com", "fine@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range found {
		fmt.Printf("%s: suppressed (%s) since %s\n", s.Address, s.Reason, s.CreatedAt.Format(time.RFC3339))
	}

	// Three transient bounces within the window, the second delivered
	// twice: the policy's threshold.
	for _, b := range []struct {
		id  string
		day int
	}{{"fb-1", 0}, {"fb-2", 1}, {"fb-2", 1}, {"fb-3", 2}} {
		n, err := st.AddTransientBounce(ctx, "full-mailbox@example.com", b.id, now.AddDate(0, 0, b.day), 14*24*time.Hour)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("transient bounces in 14 days:", n)
	}
	// Output:
	// dialect: sqlite
	// INVALID written over BOUNCE: false
	// bounced@example.com: suppressed (BOUNCE) since 2026-03-14T15:09:26Z
	// transient bounces in 14 days: 1
	// transient bounces in 14 days: 2
	// transient bounces in 14 days: 2
	// transient bounces in 14 days: 3
}

// Importing an existing list reports progress after every batch.
func ExampleStore_Import() {
	ctx := context.Background()
	// An in-memory database lives in one connection: keep the pool to it.
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	st, err := sqlstore.New(ctx, db)
	if err != nil {
		log.Fatal(err)
	}

	// The rows could come from a CSV file or the SES account-level list.
	rows := func(yield func(store.Suppression, error) bool) {
		for i := range 2500 {
			s := store.Suppression{Address: fmt.Sprintf("user%d@example.com", i), Reason: store.ReasonBounce, Source: "ses-account-list"}
			if !yield(s, nil) {
				return
			}
		}
	}
	n, err := st.Import(ctx, rows, func(o *sqlstore.ImportOptions) {
		o.Progress = func(done int) { fmt.Println("imported", done) }
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("total", n)
	// Output:
	// imported 1000
	// imported 2000
	// imported 2500
	// total 2500
}

// Teams that manage their schema with their own tools take its SQL from
// Migrations, run it, and open the store with SkipMigrations.
func ExampleMigrations() {
	opts := func(o *sqlstore.Options) {
		o.TablePrefix = "mail_"
		o.SkipMigrations = true
	}
	migs, err := sqlstore.Migrations(sqlstore.MySQL, opts)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range migs {
		fmt.Printf("-- version %d\n", m.Version)
		for line := range strings.Lines(m.SQL) {
			if strings.HasPrefix(line, "CREATE") {
				fmt.Print(line)
			}
		}
	}
	// Then, with the schema in place: sqlstore.New(ctx, db, opts)
	// Output:
	// -- version 1
	// CREATE TABLE IF NOT EXISTS `mail_suppressions` (
	// CREATE TABLE IF NOT EXISTS `mail_bounces` (
	// CREATE TABLE IF NOT EXISTS `mail_bounce_events` (
	// CREATE TABLE IF NOT EXISTS `mail_claims` (
	// CREATE TABLE IF NOT EXISTS `mail_counts` (
	// -- version 2
	// CREATE TABLE IF NOT EXISTS `mail_marks` (
	// CREATE TABLE IF NOT EXISTS `mail_bounce_heads` (
	// CREATE TABLE IF NOT EXISTS `mail_bounce_records` (
}
