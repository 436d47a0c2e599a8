CREATE TABLE "${prefix}suppressions_v2" (
	address    text NOT NULL,
	scope      text NOT NULL DEFAULT '',
	reason     text NOT NULL,
	detail     text NOT NULL,
	source     text NOT NULL,
	created_at text,
	expires_at text,
	PRIMARY KEY (address, scope)
) WITHOUT ROWID;

INSERT INTO "${prefix}suppressions_v2" (address, reason, detail, source, created_at, expires_at)
	SELECT address, reason, detail, source, created_at, expires_at FROM ${suppressions};

DROP TABLE ${suppressions};

ALTER TABLE "${prefix}suppressions_v2" RENAME TO "${prefix}suppressions";

CREATE INDEX IF NOT EXISTS "${prefix}suppressions_expires_at"
	ON ${suppressions} (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS ${marks} (
	id         text NOT NULL PRIMARY KEY,
	expires_at text NOT NULL
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS "${prefix}marks_expires_at"
	ON ${marks} (expires_at);

INSERT INTO ${marks} (id, expires_at) SELECT id, expires_at FROM ${claims} WHERE true
	ON CONFLICT (id) DO NOTHING;

DROP TABLE IF EXISTS ${claims};

CREATE TABLE IF NOT EXISTS ${bounce_heads} (
	address    text NOT NULL PRIMARY KEY,
	keep_until text NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS ${bounce_records} (
	address    text NOT NULL,
	id         text NOT NULL,
	bounced_at text NOT NULL,
	keep_until text NOT NULL,
	PRIMARY KEY (address, id)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS "${prefix}bounce_records_keep_until"
	ON ${bounce_records} (keep_until);

INSERT INTO ${bounce_heads} (address, keep_until) SELECT address, expires_at FROM ${bounces} WHERE true
	ON CONFLICT (address) DO NOTHING;

INSERT INTO ${bounce_records} (address, id, bounced_at, keep_until)
	SELECT address, 'v1-' || seq, bounced_at, expires_at FROM ${bounce_events} WHERE true
	ON CONFLICT (address, id) DO NOTHING;

DROP TABLE IF EXISTS ${bounce_events};

DROP TABLE IF EXISTS ${bounces};

CREATE TABLE "${prefix}counts_v2" (
	name       text NOT NULL,
	bucket     text NOT NULL,
	shard      integer NOT NULL DEFAULT 0,
	n          integer NOT NULL,
	keep_until text NOT NULL,
	PRIMARY KEY (name, bucket, shard)
) WITHOUT ROWID;

INSERT INTO "${prefix}counts_v2" (name, bucket, n, keep_until)
	SELECT name, bucket, n, keep_until FROM ${counts};

DROP TABLE ${counts};

ALTER TABLE "${prefix}counts_v2" RENAME TO "${prefix}counts";
