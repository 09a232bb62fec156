-- Quarry metadata schema, version 11: one outbox for every side effect of
-- a change that is carried out elsewhere (replication copies, event
-- deliveries), replacing the replication-only replication_tasks; and the
-- notification targets and bucket notification configurations whose
-- events it carries.
--
-- Same conventions as 0001: times INTEGER unix nanoseconds (0 = unset),
-- BLOB is BYTEA in PostgreSQL, no foreign keys (the store deletes a
-- bucket's entries itself). The partial indexes say state = 'PENDING'
-- literally, as the claim queries do, so that both SQLite and PostgreSQL
-- use them.

CREATE TABLE outbox (
	-- AUTOINCREMENT: ids grow with insertion and are never reused, so id
	-- order is the order entries were written in, for every kind.
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	kind          TEXT    NOT NULL,
	destination   TEXT    NOT NULL,
	bucket        TEXT    NOT NULL,
	object_key    TEXT    NOT NULL,
	version_id    TEXT    NOT NULL DEFAULT '',
	-- The delivery's own document (NULL when it needs none).
	payload       BLOB,
	state         TEXT    NOT NULL DEFAULT 'PENDING',
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_attempt  INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT    NOT NULL DEFAULT '',
	lease_owner   TEXT    NOT NULL DEFAULT '',
	lease_expires INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL DEFAULT 0
);
-- Claims: the destinations with pending entries, and each one's due
-- entries, most overdue first.
CREATE INDEX outbox_due ON outbox (destination, next_attempt, id) WHERE state = 'PENDING';
-- Order per key: whether an older entry of the same key is pending.
CREATE INDEX outbox_key ON outbox (destination, bucket, object_key, id) WHERE state = 'PENDING';
-- Lists and counts by bucket; DeleteBucket.
CREATE INDEX outbox_bucket ON outbox (bucket, kind, id);
-- PurgeOutbox: delivered entries, oldest first.
CREATE INDEX outbox_done ON outbox (updated_at) WHERE state = 'DONE';

-- The replication tasks still to do move over with their ids (so their
-- order and age are kept), attempts and leases. A task only ever said
-- whether it replicates a delete marker; the replication delivery reads
-- that from its payload.
INSERT INTO outbox (id, kind, destination, bucket, object_key, version_id, payload, state,
	attempts, next_attempt, last_error, lease_owner, lease_expires, created_at)
SELECT id, 'replication', target_arn, bucket, object_key, version_id,
	CASE WHEN delete_marker <> 0 THEN CAST('{"deleteMarker":true}' AS BLOB) END, 'PENDING',
	attempts, next_attempt, last_error, lease_owner, lease_expires, created_at
FROM replication_tasks ORDER BY id;

DROP TABLE replication_tasks;

-- Notification targets: where bucket events are delivered. Owned and
-- granted as replication targets are (see 0004).
CREATE TABLE notification_targets (
	arn                  TEXT    PRIMARY KEY,
	name                 TEXT    NOT NULL UNIQUE,
	type                 TEXT    NOT NULL,
	endpoint             TEXT    NOT NULL,
	-- Sealed by the auth package; NULL for a target without a secret.
	secret_enc           BLOB,
	insecure_skip_verify INTEGER NOT NULL DEFAULT 0,
	owner_id             INTEGER NOT NULL DEFAULT 0,
	all_users            INTEGER NOT NULL DEFAULT 0,
	created_at           INTEGER NOT NULL
);

CREATE TABLE notification_target_grants (
	arn     TEXT    NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (arn, user_id)
);
-- DeleteUser removes a user's grants.
CREATE INDEX notification_target_grants_user ON notification_target_grants (user_id, arn);

-- The bucket's notification configuration, opaque to the store; NULL: none.
ALTER TABLE buckets ADD COLUMN notification BLOB;

-- The target ARNs a bucket's configuration names, so that a target in use
-- is found without decoding every configuration.
CREATE TABLE bucket_notification_targets (
	bucket TEXT NOT NULL REFERENCES buckets (name),
	arn    TEXT NOT NULL,
	PRIMARY KEY (bucket, arn)
);
CREATE INDEX bucket_notification_targets_arn ON bucket_notification_targets (arn, bucket);
