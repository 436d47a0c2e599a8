// Package sqlstore keeps sesguard's suppression list in PostgreSQL,
// MySQL/MariaDB or SQLite through database/sql, so that it outlives the
// process and every instance of a service shares it.
//
// A [Store] implements [store.Store] and every optional ability of package
// store — [store.BounceCounter], [store.Deduper], [store.Counter],
// [store.Lister], [store.Purger] and [store.Transactor] — each with the
// database's own atomicity, so any number of processes may share one set of
// tables:
//
//	db, err := sql.Open("pgx", "postgres://app@db.internal/app")
//	...
//	sqlstore.ConfigurePool(db, 32)
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
//     reads times in UTC whatever they are. sqlstore prepares the statements
//     of its methods once per connection, so interpolateParams only
//     matters to Import.
//     Transactions run at the server's isolation level (asking for another
//     would cost the driver a SET TRANSACTION per transaction); the reads
//     that must see the latest committed rows are locking reads, so
//     REPEATABLE READ, the default, and READ COMMITTED both work. READ
//     COMMITTED takes no gap locks, so concurrent batches wait on each
//     other less: tx_isolation=%27READ-COMMITTED%27 in the DSN
//     (transaction_isolation on MySQL 8 and MariaDB 11.1 or later).
//   - SQLite 3.35 or later: modernc.org/sqlite (pure Go, no cgo), driver
//     name "sqlite". Use a file, in WAL mode, with a busy timeout so that
//     writers on different connections of the pool wait for each other
//     instead of failing with SQLITE_BUSY:
//     "file:/var/lib/app/sesguard.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)".
//     (":memory:" gives every pooled connection a database of its own.)
//
// # Connection pool
//
// database/sql keeps 2 idle connections by default: a webhook with 32
// concurrent senders then opens and closes connections all the time, and
// on PostgreSQL each costs more than the statements it runs. Keep as many
// idle connections as the process runs concurrent store calls, and let
// them live: [ConfigurePool] sets MaxIdleConns to the number of concurrent
// calls given (32 for 32 concurrent senders; an SQS consumer's batch takes
// one connection for its transaction), MaxOpenConns to twice that, and
// ConnMaxIdleTime to 5 minutes. Mind the server's own limit
// (max_connections: 100 on PostgreSQL, 151 on MariaDB by default) across
// every process that shares it. A Store prepares its statements once, in [New], and database/sql
// prepares each again once per connection; a pool that keeps its
// connections keeps its prepared statements. On MySQL prepared statements
// also spare the driver's per-statement prepare round trip, so
// interpolateParams is not needed. Each connection holds the statements it
// ran, at most about 35 per Store: mind MySQL's max_prepared_stmt_count
// (16,382 by default, for the whole server) when many processes keep
// large pools. On SQLite the writes of one Store go one
// at a time whatever the pool.
//
// # Scopes
//
// A suppression is kept per address and [store.Scope]: bounces and
// complaints under the empty scope ([store.ScopeAll]), unsubscribes under
// the list they were made for. [Store.Lookup] returns every scope of the
// addresses asked in one query, and the sesguard Client decides which
// apply to the message it sends.
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
// Version 2 keeps what version 1 stored: every suppression becomes one of
// scope [store.ScopeAll] (the scope column, added to the primary key,
// defaults to the empty string); claims become applied marks; the transient
// bounces of an address become records with ids "v1-1", "v1-2", … that keep
// counting; count buckets become shard 0 of their bucket. On PostgreSQL and
// SQLite each version applies in one transaction; MySQL commits each DDL
// statement as it goes, so a version 2 cut short there (a crash mid-way) is
// finished by hand from the SQL that [Migrations] returns.
//
// Teams that manage their schema with their own tools set
// Options.SkipMigrations and run the SQL that [Migrations] returns for their
// dialect, prefix and schema; New then only checks that the tables exist.
//
// # Schema
//
// On PostgreSQL, with the default table prefix "sesguard_", the schema is
// built by version 1:
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
// and version 2:
//
//	ALTER TABLE "sesguard_suppressions" ADD COLUMN IF NOT EXISTS scope text COLLATE "C" NOT NULL DEFAULT '';
//
//	ALTER TABLE "sesguard_suppressions" DROP CONSTRAINT IF EXISTS "sesguard_suppressions_pkey",
//		ADD CONSTRAINT "sesguard_suppressions_pkey" PRIMARY KEY (address, scope);
//
//	CREATE TABLE IF NOT EXISTS "sesguard_marks" (
//		id         text COLLATE "C" PRIMARY KEY,
//		expires_at timestamptz NOT NULL
//	);
//
//	CREATE INDEX IF NOT EXISTS "sesguard_marks_expires_at"
//		ON "sesguard_marks" (expires_at);
//
//	INSERT INTO "sesguard_marks" (id, expires_at) SELECT id, expires_at FROM "sesguard_claims"
//		ON CONFLICT (id) DO NOTHING;
//
//	DROP TABLE IF EXISTS "sesguard_claims";
//
//	CREATE TABLE IF NOT EXISTS "sesguard_bounce_heads" (
//		address    text COLLATE "C" PRIMARY KEY,
//		keep_until timestamptz NOT NULL
//	);
//
//	CREATE TABLE IF NOT EXISTS "sesguard_bounce_records" (
//		address    text COLLATE "C" NOT NULL,
//		id         text COLLATE "C" NOT NULL,
//		bounced_at timestamptz NOT NULL,
//		keep_until timestamptz NOT NULL,
//		PRIMARY KEY (address, id)
//	);
//
//	CREATE INDEX IF NOT EXISTS "sesguard_bounce_records_keep_until"
//		ON "sesguard_bounce_records" (keep_until);
//
//	INSERT INTO "sesguard_bounce_heads" (address, keep_until) SELECT address, expires_at FROM "sesguard_bounces"
//		ON CONFLICT (address) DO NOTHING;
//
//	INSERT INTO "sesguard_bounce_records" (address, id, bounced_at, keep_until)
//		SELECT b.address, 'v1-' || u.i, u.x, b.expires_at FROM "sesguard_bounces" AS b, unnest(b.bounced_at) WITH ORDINALITY AS u(x, i)
//		ON CONFLICT (address, id) DO NOTHING;
//
//	DROP TABLE IF EXISTS "sesguard_bounces";
//
//	ALTER TABLE "sesguard_counts" ADD COLUMN IF NOT EXISTS shard smallint NOT NULL DEFAULT 0;
//
//	ALTER TABLE "sesguard_counts" DROP CONSTRAINT IF EXISTS "sesguard_counts_pkey",
//		ADD CONSTRAINT "sesguard_counts_pkey" PRIMARY KEY (name, bucket, shard);
//
// The tables are then: suppressions, keyed by (address, scope); marks, the
// applied notifications; bounce_heads, a row per address with transient
// bounces, and bounce_records, a row per transient bounce keyed by
// (address, id); counts, keyed by (name, bucket, shard); and
// schema_migrations.
//
// Keys compare byte for byte and sort in byte order: COLLATE "C" on
// PostgreSQL, varbinary on MySQL, SQLite's default BINARY collation. On
// MySQL the key columns are varbinary(254) and varbinary(255), so the
// widest key, (address, id), is 509 bytes, well inside InnoDB's 3072-byte
// limit whatever the table's character set. Times are UTC to the
// microsecond: timestamptz on PostgreSQL, datetime(6) holding the UTC wall
// clock on MySQL, and text of the form "2006-01-02 15:04:05.000000" on
// SQLite, which sorts as the instants do. A NULL expires_at never expires.
// SQLite cannot change a primary key, so its version 2 copies the
// suppressions and counts tables into new ones; MySQL declares indexes
// inside CREATE TABLE. [Migrations] shows each dialect's SQL in full.
//
// # Atomicity
//
// [Store.Put] is one conditional upsert that applies [store.Replaces] to the
// stored row at its latest committed version: INSERT … ON CONFLICT … DO
// UPDATE … WHERE on PostgreSQL and SQLite, INSERT … ON DUPLICATE KEY UPDATE
// with conditional column expressions on MySQL. Concurrent Puts to one key
// queue on its row, and the strongest stays. [Store.Lookup] is one query for
// up to 1024 addresses, every scope included.
//
// [Store.MarkApplied] upserts the mark — inserting it, or taking over one
// that has expired — and adds the counts only when it made the mark, in
// one statement on PostgreSQL (a data-modifying WITH query) and one
// transaction elsewhere. Counts spread each bucket over up to 32 rows
// (shards), taken in turn by the adds of a Store from a random start, so
// that concurrent notifications do not queue on one row (on PostgreSQL at
// 32 senders, row-lock waits were 29% of the server's samples with 16
// shards picked at random, 4% with these); [Store.SumCounts] adds the shards up, so
// sums stay exact. A shard row exists only once an add used it, so a quiet
// bucket is one row and SumCounts reads no more rows than there were adds.
//
// [Store.AddTransientBounce] runs one transaction that upserts the
// address's head row first, whose lock serialises the bounces of one
// address across processes, then inserts the record (once per id), drops
// the records older than twice the window, and reads the times near this
// one; [store.BounceWindow] counts them in Go. [Store.Purge] is one
// transaction. [Store.InTx] runs any of these inside one transaction,
// rolled back when its fn fails or panics; the counts added inside it
// (the breaker's, with each mark) are written together just before it
// commits, in one statement, on one shard, in the order of their names:
// the count rows are so locked briefly and in one order, and concurrent
// batches of the SQS consumer cannot deadlock on them. On SQLite, the writes of one
// Store go one at a time, as SQLite allows; other processes wait for the
// file lock up to busy_timeout.
//
// # Limits
//
// Addresses hold at most 254 bytes ([store.MaxAddressLen]), scopes 255
// ([store.MaxScopeLen]), reasons 64, sources, mark ids, bounce ids and
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
