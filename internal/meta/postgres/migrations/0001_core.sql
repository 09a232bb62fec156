-- Quarry PostgreSQL metadata schema, version 1: buckets, usage, versions,
-- uploads, users and keys, trash, settings, and the SSE, refresh token,
-- certificate and event tables.
--
-- Conventions shared with the SQLite schema: times are BIGINT unix
-- nanoseconds, maps and segment lists JSON TEXT, booleans BOOLEAN, binary
-- BYTEA, keys and names compared byte-wise (COLLATE "C"). Table and column
-- names are SQLite's. Ids come from identity columns, whose sequences never
-- hand out a number twice (not even one a rolled back transaction drew),
-- so a deleted row's id never comes to name another.

CREATE TABLE users (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username      TEXT   NOT NULL COLLATE "C" UNIQUE,
	password_hash TEXT   NOT NULL,
	role          TEXT   NOT NULL,
	created_at    BIGINT NOT NULL
);
-- "Admin" and "admin" are one name; lookups ask lower(username) = lower($1).
-- Usernames are ASCII, which lower() folds alike in every collation.
CREATE UNIQUE INDEX users_username_folded ON users (lower(username));

CREATE TABLE access_keys (
	access_key TEXT   PRIMARY KEY COLLATE "C",
	user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	secret_enc BYTEA  NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (user_id, access_key);

CREATE TABLE buckets (
	name         TEXT   PRIMARY KEY COLLATE "C",
	-- The bucket's number (bucketId): unique and never reused, not even
	-- when the name is taken again after a delete.
	id           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
	owner_id     BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	versioning   TEXT   NOT NULL DEFAULT '',
	tags         TEXT,
	-- Configuration documents, opaque to the store; NULL means none.
	replication  BYTEA,
	notification BYTEA,
	lifecycle    BYTEA,
	encryption   BYTEA,
	cors         BYTEA,
	acl          TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX buckets_owner ON buckets (owner_id, name);

-- Usage counters, in shards: every object change adds to one shard of its
-- bucket (chosen per transaction), so that concurrent writers of a bucket
-- rarely update the same row, which under SERIALIZABLE would make one of
-- them retry. A read sums the shards. CreateBucket makes all of them; they
-- go with the bucket.
CREATE TABLE bucket_usage (
	bucket        TEXT     NOT NULL COLLATE "C" REFERENCES buckets (name) ON DELETE CASCADE,
	shard         SMALLINT NOT NULL,
	objects       BIGINT   NOT NULL DEFAULT 0,
	bytes         BIGINT   NOT NULL DEFAULT 0,
	versions      BIGINT   NOT NULL DEFAULT 0,
	version_bytes BIGINT   NOT NULL DEFAULT 0,
	PRIMARY KEY (bucket, shard)
);

CREATE TABLE versions (
	-- seq orders versions: the sequence never hands out a number twice, so
	-- among a key's versions a higher seq is newer (see version.go for why
	-- that holds with concurrent writers).
	seq                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	bucket             TEXT    NOT NULL COLLATE "C" REFERENCES buckets (name),
	object_key         TEXT    NOT NULL COLLATE "C",
	version_id         TEXT    NOT NULL COLLATE "C",
	is_latest          BOOLEAN NOT NULL DEFAULT FALSE,
	delete_marker      BOOLEAN NOT NULL DEFAULT FALSE,
	size               BIGINT  NOT NULL DEFAULT 0,
	etag               TEXT    NOT NULL DEFAULT '',
	last_modified      BIGINT  NOT NULL,
	content_type       TEXT    NOT NULL DEFAULT '',
	headers            TEXT,
	user_meta          TEXT,
	checksums          TEXT,
	tags               TEXT,
	segments           TEXT,
	owner_id           BIGINT  NOT NULL DEFAULT 0,
	replication_status TEXT    NOT NULL DEFAULT '',
	sse                TEXT    NOT NULL DEFAULT '',
	acl                TEXT    NOT NULL DEFAULT '',
	-- The data is in version_inline instead of a blob.
	is_inline          BOOLEAN NOT NULL DEFAULT FALSE,
	UNIQUE (bucket, object_key, version_id)
);
-- ListVersions order (key ascending, newest first) and NewestVersion.
CREATE INDEX versions_by_key ON versions (bucket, object_key, seq DESC);
-- One latest version per key, enforced: of two transactions making a
-- version of one key latest, the second fails (and Update runs it again,
-- see retryable) instead of leaving two.
CREATE UNIQUE INDEX versions_one_latest ON versions (bucket, object_key) WHERE is_latest;
-- ListLatest: only current objects, so delete markers cost nothing to skip.
CREATE INDEX versions_current ON versions (bucket, object_key) WHERE is_latest AND NOT delete_marker;
-- ListSealedVersions: a key rotation visits encrypted versions only.
CREATE INDEX versions_sealed ON versions (seq) WHERE sse <> '';

-- The data of inline versions, apart from the rows that lists and HEAD read.
CREATE TABLE version_inline (
	seq  BIGINT PRIMARY KEY REFERENCES versions (seq) ON DELETE CASCADE,
	data BYTEA  NOT NULL
);

CREATE TABLE uploads (
	id                 TEXT   PRIMARY KEY COLLATE "C",
	bucket             TEXT   NOT NULL COLLATE "C" REFERENCES buckets (name),
	object_key         TEXT   NOT NULL COLLATE "C",
	initiated          BIGINT NOT NULL,
	owner_id           BIGINT NOT NULL DEFAULT 0,
	content_type       TEXT   NOT NULL DEFAULT '',
	headers            TEXT,
	user_meta          TEXT,
	tags               TEXT,
	checksum_algorithm TEXT   NOT NULL DEFAULT '',
	checksum_type      TEXT   NOT NULL DEFAULT '',
	sse                TEXT   NOT NULL DEFAULT '',
	acl                TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX uploads_by_key ON uploads (bucket, object_key, id);

CREATE TABLE parts (
	upload_id     TEXT    NOT NULL COLLATE "C" REFERENCES uploads (id) ON DELETE CASCADE,
	number        INTEGER NOT NULL,
	size          BIGINT  NOT NULL,
	etag          TEXT    NOT NULL,
	blob_id       TEXT    NOT NULL,
	last_modified BIGINT  NOT NULL,
	checksums     TEXT,
	sealed_key    BYTEA,
	PRIMARY KEY (upload_id, number)
);
CREATE INDEX parts_sealed ON parts (upload_id, number) WHERE sealed_key IS NOT NULL;

-- Blobs that committed changes stopped referring to, removed after commit.
-- id keeps the queue in trash order.
CREATE TABLE blob_trash (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	blob_id    TEXT   NOT NULL COLLATE "C" UNIQUE,
	trashed_at BIGINT NOT NULL
);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY COLLATE "C",
	value TEXT NOT NULL
);

-- One row per login: the chain of refresh tokens it was rotated through.
CREATE TABLE refresh_families (
	id         TEXT   PRIMARY KEY COLLATE "C",
	user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	client_id  TEXT   NOT NULL,
	generation BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expiry ON refresh_families (expires_at);

-- Key-encryption keys, each sealed by the server's key file; the highest
-- id is current.
CREATE TABLE sse_keys (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sealed     BYTEA  NOT NULL,
	created_at BIGINT NOT NULL
);

-- Rekey events: mode changes and key rotations, newest by id.
CREATE TABLE sse_events (
	id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_name TEXT   NOT NULL DEFAULT '',
	time      BIGINT NOT NULL,
	code      TEXT   NOT NULL,
	message   TEXT   NOT NULL DEFAULT ''
);

-- The event log (also the audit log). No foreign keys to users: the log
-- outlives the users it names.
CREATE TABLE events (
	id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time       BIGINT  NOT NULL,
	type_id    INTEGER NOT NULL,
	category   TEXT    NOT NULL,
	severity   TEXT    NOT NULL,
	gms        BOOLEAN NOT NULL DEFAULT FALSE,
	subject    TEXT    NOT NULL DEFAULT '',
	message    TEXT    NOT NULL DEFAULT '',
	actor_id   BIGINT  NOT NULL DEFAULT 0,
	actor_name TEXT    NOT NULL DEFAULT '',
	owner_id   BIGINT  NOT NULL DEFAULT 0,
	count      BIGINT  NOT NULL DEFAULT 1
);
-- Listing newest first, and retention oldest first.
CREATE INDEX events_by_time ON events (time, id);
-- A user's own events, newest first.
CREATE INDEX events_by_owner ON events (owner_id, time, id);

-- The TLS certificates the listeners serve by name (SNI), shared by every
-- node. The private key is sealed by the auth package.
CREATE TABLE tls_certificates (
	dn_key     TEXT   PRIMARY KEY COLLATE "C",
	subject_dn TEXT   NOT NULL,
	issuer_dn  TEXT   NOT NULL,
	not_before BIGINT NOT NULL,
	not_after  BIGINT NOT NULL,
	chain_pem  BYTEA  NOT NULL,
	key_enc    BYTEA  NOT NULL,
	created_at BIGINT NOT NULL
);
