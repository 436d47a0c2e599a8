// Package sqlstore keeps sesguard's suppression list in PostgreSQL,
// MySQL/MariaDB or SQLite through database/sql, so that it outlives the
// process and every instance of a service shares it.
//
// A [Store] implements [store.Store] and every optional ability of package
// store — [store.BounceCounter], [store.Deduper], [store.Counter],
// [store.Lister] and [store.Purger] — each with the database's own atomicity,
// so any number of processes may share one set of tables:
//
//	db, err := sql.Open("pgx", "postgres://app@db.internal/app")
//	...
//	st, err := sqlstore.New(ctx, db)
//	...
//	client, err := sesguard.New(sesv2.NewFromConfig(cfg), func(o *sesguard.Options) {
//		o.Store = st
//	})
//
// # Drivers
//
// sqlstore imports no driver: the program imports the one it uses, and
// [New] tells the dialect from the driver's type. It is tested with these
// three, which it recognises; with any other driver, set Options.Dialect.
//
//   - PostgreSQL 12 or later: github.com/jackc/pgx/v5/stdlib, driver name
//     "pgx".
//   - MariaDB 10.5 or later (tested on 10.11) or MySQL 8, which takes the
//     same SQL: github.com/go-sql-driver/mysql. The connection's character
//     set must be utf8mb4 (the driver's default).
//     parseTime and loc may be set as the program likes: sqlstore writes and
//     reads times in UTC whatever they are. interpolateParams=true saves a
//     round trip per statement, which the driver otherwise prepares first.
//   - SQLite 3.35 or later: modernc.org/sqlite (pure Go, no cgo), driver
//     name "sqlite". Use a file, in WAL mode, with a busy timeout so that
//     writers on different connections of the pool wait for each other
//     instead of failing with SQLITE_BUSY:
//     "file:/var/lib/app/sesguard.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)".
//     (":memory:" gives every pooled connection a database of its own.)
//
// # Migrations
//
// The schema ships inside the package as versioned migrations. [New]
// applies the pending ones (see [Store.Migrate]) and records each in the
// table sesguard_schema_migrations. It holds a database lock while it does —
// pg_advisory_xact_lock on PostgreSQL, GET_LOCK on MySQL, BEGIN IMMEDIATE
// on SQLite — so processes that start together migrate once; running it
// again is a no-op.
//
// Teams that manage their schema with their own tools set
// Options.SkipMigrations and run the SQL that [Migrations] returns for their
// dialect, prefix and schema; New then only checks that the tables exist.
//
// # Schema
//
// On PostgreSQL, with the default table prefix "sesguard_", the schema is:
//
//	CREATE TABLE IF NOT EXISTS "sesguard_suppressions" (
//		address    text COLLATE "C" PRIMARY KEY,
//		reason     text NOT NULL,
//		detail     text NOT NULL,
//		source     text NOT NULL,
//		created_at timestamptz,
//		expires_at timestamptz
//	);
//
//	CREATE INDEX IF NOT EXISTS "sesguard_suppressions_expires_at"
//		ON "sesguard_suppressions" (expires_at) WHERE expires_at IS NOT NULL;
//
//	CREATE TABLE IF NOT EXISTS "sesguard_bounces" (
//		address    text COLLATE "C" PRIMARY KEY,
//		bounced_at timestamptz[] NOT NULL,
//		expires_at timestamptz NOT NULL
//	);
//
//	CREATE TABLE IF NOT EXISTS "sesguard_claims" (
//		id         text COLLATE "C" PRIMARY KEY,
//		expires_at timestamptz NOT NULL
//	);
//
//	CREATE INDEX IF NOT EXISTS "sesguard_claims_expires_at"
//		ON "sesguard_claims" (expires_at);
//
//	CREATE TABLE IF NOT EXISTS "sesguard_counts" (
//		name       text COLLATE "C" NOT NULL,
//		bucket     timestamptz NOT NULL,
//		n          bigint NOT NULL,
//		keep_until timestamptz NOT NULL,
//		PRIMARY KEY (name, bucket)
//	);
//
// Keys compare byte for byte and sort in byte order: COLLATE "C" on
// PostgreSQL, varbinary on MySQL, SQLite's default BINARY collation. Times
// are UTC to the microsecond: timestamptz on PostgreSQL, datetime(6) holding
// the UTC wall clock on MySQL, and text of the form "2006-01-02
// 15:04:05.000000" on SQLite, which sorts as the instants do. A NULL
// expires_at never expires. The bounces table, which holds only addresses
// with transient bounces inside the window and changes on every count, has
// no index on expires_at, so that its updates stay cheap; Purge scans it.
//
// MySQL and SQLite differ in one more way: they have no arrays, so their
// bounces table holds a running total per address, and a bounce_events table
// holds one row per transient bounce, keyed by address and that total. On
// MySQL the claims table also has a token column, which tells the winner of a
// claim, and indexes are declared inside CREATE TABLE. [Migrations] shows
// each dialect's SQL in full.
//
// # Atomicity
//
// [Store.Put] is one upsert and [Store.Lookup] one query, for up to 1024
// addresses. [Store.AddTransientBounce] first updates the address's row in
// bounces, whose lock serialises every count of that address across
// processes: on PostgreSQL it is one upsert that trims the array to the
// window, appends the bounce and counts (ON CONFLICT DO UPDATE sees the
// latest committed row, so concurrent counts are exact); on MySQL and SQLite
// a READ COMMITTED transaction that increments the total, trims and counts
// bounce_events, and adds the bounce. [Store.Claim] is an upsert that
// inserts the claim or takes over an expired one, [Store.AddCount] an upsert
// that adds to the bucket, and [Store.Purge] one transaction. On SQLite, the
// writes of one Store go one at a time, as SQLite allows; other processes
// wait for the file lock up to busy_timeout.
//
// # Limits
//
// Addresses hold at most 254 bytes, reasons 64, sources, claim ids and
// counter names 255, details 65535; text must be UTF-8 without NUL, and times
// fall in the years 1 to 9999. Anything else is refused with an error
// wrapping [store.ErrInvalid], never cut short; Lookup reports an address
// that could never be stored as absent.
//
// # Errors
//
// Input the store cannot hold is refused with an error wrapping
// [store.ErrInvalid]. Every other error wraps the driver's, or ctx.Err() when
// ctx ended: a cancelled ctx cancels the query on the server too. The
// sesguard Client treats a failed Lookup — a dropped connection, a server
// that is down — as the store being unavailable and, unless told to fail
// open, does not send.
//
// # Import
//
// [Store.Import] writes a list from any source — a CSV export, the SES
// account-level suppression list — in multi-row INSERT batches, reporting
// progress through a callback; see its documentation for how it stops and
// resumes.
package sqlstore
