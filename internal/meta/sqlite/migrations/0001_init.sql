-- Quarry metadata schema, version 1.
--
-- Kept close to portable SQL so the PostgreSQL store can share its design:
-- times are INTEGER unix nanoseconds, maps and segment lists JSON TEXT,
-- booleans INTEGER 0/1, upserts use ON CONFLICT, prefixes are ranges.
-- The SQLite-only spellings are INTEGER PRIMARY KEY AUTOINCREMENT (identity
-- columns in PostgreSQL) and BLOB (BYTEA).

CREATE TABLE users (
	-- AUTOINCREMENT: an id is never reused, so a deleted user's id can
	-- never come to name someone else.
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	username      TEXT    NOT NULL UNIQUE,
	password_hash TEXT    NOT NULL,
	role          TEXT    NOT NULL,
	created_at    INTEGER NOT NULL
);

CREATE TABLE access_keys (
	access_key TEXT    PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	secret_enc BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (user_id, access_key);

CREATE TABLE buckets (
	name       TEXT    PRIMARY KEY,
	owner_id   INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	versioning TEXT    NOT NULL DEFAULT '',
	tags       TEXT
);
CREATE INDEX buckets_owner ON buckets (owner_id, name);

-- Usage counters live apart from the bucket row: they change on every
-- write, the configuration almost never.
CREATE TABLE bucket_usage (
	bucket        TEXT    PRIMARY KEY REFERENCES buckets (name) ON DELETE CASCADE,
	objects       INTEGER NOT NULL DEFAULT 0,
	bytes         INTEGER NOT NULL DEFAULT 0,
	versions      INTEGER NOT NULL DEFAULT 0,
	version_bytes INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE versions (
	-- seq orders versions: AUTOINCREMENT never hands out a number twice,
	-- so a higher seq is always newer, even after deletes.
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	bucket        TEXT    NOT NULL REFERENCES buckets (name),
	object_key    TEXT    NOT NULL,
	version_id    TEXT    NOT NULL,
	is_latest     INTEGER NOT NULL DEFAULT 0,
	delete_marker INTEGER NOT NULL DEFAULT 0,
	size          INTEGER NOT NULL DEFAULT 0,
	etag          TEXT    NOT NULL DEFAULT '',
	last_modified INTEGER NOT NULL,
	content_type  TEXT    NOT NULL DEFAULT '',
	headers       TEXT,
	user_meta     TEXT,
	checksums     TEXT,
	tags          TEXT,
	segments      TEXT,
	owner_id      INTEGER NOT NULL DEFAULT 0,
	UNIQUE (bucket, object_key, version_id)
);
-- ListVersions order (key ascending, newest first) and NewestVersion.
CREATE INDEX versions_by_key ON versions (bucket, object_key, seq DESC);
-- GetLatest without scanning a key's history.
CREATE INDEX versions_latest ON versions (bucket, object_key) WHERE is_latest = 1;
-- ListLatest: only current objects, so delete markers cost nothing to skip.
CREATE INDEX versions_current ON versions (bucket, object_key) WHERE is_latest = 1 AND delete_marker = 0;

CREATE TABLE uploads (
	id                 TEXT    PRIMARY KEY,
	bucket             TEXT    NOT NULL REFERENCES buckets (name),
	object_key         TEXT    NOT NULL,
	initiated          INTEGER NOT NULL,
	owner_id           INTEGER NOT NULL DEFAULT 0,
	content_type       TEXT    NOT NULL DEFAULT '',
	headers            TEXT,
	user_meta          TEXT,
	tags               TEXT,
	checksum_algorithm TEXT    NOT NULL DEFAULT '',
	checksum_type      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX uploads_by_key ON uploads (bucket, object_key, id);

CREATE TABLE parts (
	upload_id     TEXT    NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
	number        INTEGER NOT NULL,
	size          INTEGER NOT NULL,
	etag          TEXT    NOT NULL,
	blob_id       TEXT    NOT NULL,
	last_modified INTEGER NOT NULL,
	checksums     TEXT,
	PRIMARY KEY (upload_id, number)
);

-- Blobs that committed changes stopped referring to, removed after commit.
-- id keeps the queue in trash order.
CREATE TABLE blob_trash (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	blob_id    TEXT    NOT NULL UNIQUE,
	trashed_at INTEGER NOT NULL
);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
