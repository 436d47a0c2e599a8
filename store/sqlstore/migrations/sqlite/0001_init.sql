CREATE TABLE IF NOT EXISTS ${suppressions} (
	address    text NOT NULL PRIMARY KEY,
	reason     text NOT NULL,
	detail     text NOT NULL,
	source     text NOT NULL,
	created_at text,
	expires_at text
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS "${prefix}suppressions_expires_at"
	ON ${suppressions} (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS ${bounces} (
	address    text NOT NULL PRIMARY KEY,
	total      integer NOT NULL,
	expires_at text NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS ${bounce_events} (
	address    text NOT NULL,
	seq        integer NOT NULL,
	bounced_at text NOT NULL,
	expires_at text NOT NULL,
	PRIMARY KEY (address, seq)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS "${prefix}bounce_events_expires_at"
	ON ${bounce_events} (expires_at);

CREATE TABLE IF NOT EXISTS ${claims} (
	id         text NOT NULL PRIMARY KEY,
	expires_at text NOT NULL
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS "${prefix}claims_expires_at"
	ON ${claims} (expires_at);

CREATE TABLE IF NOT EXISTS ${counts} (
	name       text NOT NULL,
	bucket     text NOT NULL,
	n          integer NOT NULL,
	keep_until text NOT NULL,
	PRIMARY KEY (name, bucket)
) WITHOUT ROWID;
