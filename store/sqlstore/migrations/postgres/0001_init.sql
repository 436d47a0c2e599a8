CREATE TABLE IF NOT EXISTS ${suppressions} (
	address    text COLLATE "C" PRIMARY KEY,
	reason     text NOT NULL,
	detail     text NOT NULL,
	source     text NOT NULL,
	created_at timestamptz,
	expires_at timestamptz
);

CREATE INDEX IF NOT EXISTS "${prefix}suppressions_expires_at"
	ON ${suppressions} (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS ${bounces} (
	address    text COLLATE "C" PRIMARY KEY,
	bounced_at timestamptz[] NOT NULL,
	expires_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ${claims} (
	id         text COLLATE "C" PRIMARY KEY,
	expires_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS "${prefix}claims_expires_at"
	ON ${claims} (expires_at);

CREATE TABLE IF NOT EXISTS ${counts} (
	name       text COLLATE "C" NOT NULL,
	bucket     timestamptz NOT NULL,
	n          bigint NOT NULL,
	keep_until timestamptz NOT NULL,
	PRIMARY KEY (name, bucket)
);
