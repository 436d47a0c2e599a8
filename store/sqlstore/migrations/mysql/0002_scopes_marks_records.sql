ALTER TABLE ${suppressions}
	ADD COLUMN scope varbinary(255) NOT NULL DEFAULT '' AFTER address,
	DROP PRIMARY KEY,
	ADD PRIMARY KEY (address, scope);

CREATE TABLE IF NOT EXISTS ${marks} (
	id         varbinary(255) NOT NULL PRIMARY KEY,
	expires_at datetime(6) NOT NULL,
	KEY expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO ${marks} (id, expires_at) SELECT id, expires_at FROM ${claims}
	ON DUPLICATE KEY UPDATE id = VALUES(id);

DROP TABLE IF EXISTS ${claims};

CREATE TABLE IF NOT EXISTS ${bounce_heads} (
	address    varbinary(254) NOT NULL PRIMARY KEY,
	keep_until datetime(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS ${bounce_records} (
	address    varbinary(254) NOT NULL,
	id         varbinary(255) NOT NULL,
	bounced_at datetime(6) NOT NULL,
	keep_until datetime(6) NOT NULL,
	PRIMARY KEY (address, id),
	KEY keep_until (keep_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO ${bounce_heads} (address, keep_until) SELECT address, expires_at FROM ${bounces}
	ON DUPLICATE KEY UPDATE keep_until = VALUES(keep_until);

INSERT INTO ${bounce_records} (address, id, bounced_at, keep_until)
	SELECT address, CONCAT('v1-', seq), bounced_at, expires_at FROM ${bounce_events}
	ON DUPLICATE KEY UPDATE keep_until = VALUES(keep_until);

DROP TABLE IF EXISTS ${bounce_events};

DROP TABLE IF EXISTS ${bounces};

ALTER TABLE ${counts}
	ADD COLUMN shard smallint NOT NULL DEFAULT 0,
	DROP PRIMARY KEY,
	ADD PRIMARY KEY (name, bucket, shard);
