ALTER TABLE ${suppressions} ADD COLUMN IF NOT EXISTS scope text COLLATE "C" NOT NULL DEFAULT '';

ALTER TABLE ${suppressions} DROP CONSTRAINT IF EXISTS "${prefix}suppressions_pkey",
	ADD CONSTRAINT "${prefix}suppressions_pkey" PRIMARY KEY (address, scope);

CREATE TABLE IF NOT EXISTS ${marks} (
	id         text COLLATE "C" PRIMARY KEY,
	expires_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS "${prefix}marks_expires_at"
	ON ${marks} (expires_at);

INSERT INTO ${marks} (id, expires_at) SELECT id, expires_at FROM ${claims}
	ON CONFLICT (id) DO NOTHING;

DROP TABLE IF EXISTS ${claims};

CREATE TABLE IF NOT EXISTS ${bounce_heads} (
	address    text COLLATE "C" PRIMARY KEY,
	keep_until timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ${bounce_records} (
	address    text COLLATE "C" NOT NULL,
	id         text COLLATE "C" NOT NULL,
	bounced_at timestamptz NOT NULL,
	keep_until timestamptz NOT NULL,
	PRIMARY KEY (address, id)
);

CREATE INDEX IF NOT EXISTS "${prefix}bounce_records_keep_until"
	ON ${bounce_records} (keep_until);

INSERT INTO ${bounce_heads} (address, keep_until) SELECT address, expires_at FROM ${bounces}
	ON CONFLICT (address) DO NOTHING;

INSERT INTO ${bounce_records} (address, id, bounced_at, keep_until)
	SELECT b.address, 'v1-' || u.i, u.x, b.expires_at FROM ${bounces} AS b, unnest(b.bounced_at) WITH ORDINALITY AS u(x, i)
	ON CONFLICT (address, id) DO NOTHING;

DROP TABLE IF EXISTS ${bounces};

ALTER TABLE ${counts} ADD COLUMN IF NOT EXISTS shard smallint NOT NULL DEFAULT 0;

ALTER TABLE ${counts} DROP CONSTRAINT IF EXISTS "${prefix}counts_pkey",
	ADD CONSTRAINT "${prefix}counts_pkey" PRIMARY KEY (name, bucket, shard);
