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

CREATE TABLE IF NOT EXISTS ${bounce_counters} (
	address    text COLLATE "C" PRIMARY KEY,
	total      bigint NOT NULL,
	expires_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS "${prefix}bounce_counters_expires_at"
	ON ${bounce_counters} (expires_at);

CREATE TABLE IF NOT EXISTS ${bounce_events} (
	address    text COLLATE "C" NOT NULL,
	seq        bigint NOT NULL,
	bounced_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (address, seq)
);

CREATE INDEX IF NOT EXISTS "${prefix}bounce_events_expires_at"
	ON ${bounce_events} (expires_at);

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
