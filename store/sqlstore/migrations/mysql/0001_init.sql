CREATE TABLE IF NOT EXISTS ${suppressions} (
	address    varbinary(254) NOT NULL PRIMARY KEY,
	reason     varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	detail     text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	source     varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	created_at datetime(6) NULL,
	expires_at datetime(6) NULL,
	KEY expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS ${bounces} (
	address    varbinary(254) NOT NULL PRIMARY KEY,
	total      bigint NOT NULL,
	expires_at datetime(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS ${bounce_events} (
	address    varbinary(254) NOT NULL,
	seq        bigint NOT NULL,
	bounced_at datetime(6) NOT NULL,
	expires_at datetime(6) NOT NULL,
	PRIMARY KEY (address, seq),
	KEY expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS ${claims} (
	id         varbinary(255) NOT NULL PRIMARY KEY,
	expires_at datetime(6) NOT NULL,
	token      bigint NOT NULL,
	KEY expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS ${counts} (
	name       varbinary(255) NOT NULL,
	bucket     datetime(6) NOT NULL,
	n          bigint NOT NULL,
	keep_until datetime(6) NOT NULL,
	PRIMARY KEY (name, bucket)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
