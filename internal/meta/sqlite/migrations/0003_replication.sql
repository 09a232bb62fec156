-- Quarry metadata schema, version 3: bucket replication to remote S3
-- targets, its outbox and per-version states.
--
-- Same portable conventions as 0001: times are INTEGER unix nanoseconds
-- (0 = unset), booleans INTEGER 0/1, BLOB is BYTEA in PostgreSQL. Rows that
-- hang off versions and buckets carry no foreign key to them: the store
-- deletes them itself, so it behaves the same with foreign keys off.

CREATE TABLE replication_targets (
	arn                  TEXT    PRIMARY KEY,
	name                 TEXT    NOT NULL UNIQUE,
	endpoint             TEXT    NOT NULL,
	region               TEXT    NOT NULL DEFAULT '',
	bucket               TEXT    NOT NULL,
	access_key           TEXT    NOT NULL DEFAULT '',
	-- Sealed by the auth package; NULL for a target without credentials.
	secret_enc           BLOB,
	insecure_skip_verify INTEGER NOT NULL DEFAULT 0,
	owner_id             INTEGER NOT NULL DEFAULT 0,
	created_at           INTEGER NOT NULL
);

-- The configuration document, opaque to the store; NULL means none.
ALTER TABLE buckets ADD COLUMN replication BLOB;

-- The target ARNs a bucket's configuration names, so that a target in use
-- is found without decoding every configuration. No foreign key to
-- replication_targets: whether a target may be deleted while in use is the
-- caller's rule (BucketsUsingTarget), not the schema's.
CREATE TABLE bucket_replication_targets (
	bucket TEXT NOT NULL REFERENCES buckets (name),
	arn    TEXT NOT NULL,
	PRIMARY KEY (bucket, arn)
);
CREATE INDEX bucket_replication_targets_arn ON bucket_replication_targets (arn, bucket);

-- The version's summed-up state ('' when no rule matched it).
ALTER TABLE versions ADD COLUMN replication_status TEXT NOT NULL DEFAULT '';

-- The outbox: one row per version (or delete marker) and target still to
-- replicate, written in the same transaction as the change.
CREATE TABLE replication_tasks (
	-- AUTOINCREMENT: ids grow with insertion, so id order is age order.
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	bucket        TEXT    NOT NULL,
	object_key    TEXT    NOT NULL,
	version_id    TEXT    NOT NULL,
	target_arn    TEXT    NOT NULL,
	delete_marker INTEGER NOT NULL DEFAULT 0,
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_attempt  INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT    NOT NULL DEFAULT '',
	lease_owner   TEXT    NOT NULL DEFAULT '',
	lease_expires INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
);
-- ClaimReplicationTasks: due tasks, most overdue first.
CREATE INDEX replication_tasks_claim ON replication_tasks (next_attempt, id);
-- CountReplicationTasks by bucket and DeleteBucket.
CREATE INDEX replication_tasks_bucket ON replication_tasks (bucket);

CREATE TABLE version_replication (
	bucket     TEXT    NOT NULL,
	object_key TEXT    NOT NULL,
	version_id TEXT    NOT NULL,
	target_arn TEXT    NOT NULL,
	status     TEXT    NOT NULL,
	error      TEXT    NOT NULL DEFAULT '',
	updated    INTEGER NOT NULL,
	PRIMARY KEY (bucket, object_key, version_id, target_arn)
);
