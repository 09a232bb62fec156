-- Quarry PostgreSQL metadata schema, version 2: jobs and their failures,
-- replication and notification targets and their grants, the outbox and
-- storage components.
--
-- Same conventions as 0001: times BIGINT unix nanoseconds (0 = unset),
-- booleans BOOLEAN, binary BYTEA, keys and names COLLATE "C". Ids come from
-- sequences, which never hand out a number twice (not even one a rolled
-- back transaction drew), so an id once shown never names another row.
--
-- Rows that hang off buckets, versions and users are removed with them by
-- the triggers at the end, whichever statement deletes the parent, so the
-- bucket, version and user code need not know these tables.

-- Job ids are MAPI int32s: the sequence stops at 2147483647 (NO CYCLE), and
-- CreateJob then fails instead of reusing an id.
CREATE SEQUENCE job_ids AS INTEGER MINVALUE 1 NO CYCLE;

CREATE TABLE jobs (
	id               INTEGER PRIMARY KEY DEFAULT nextval('job_ids'),
	type             TEXT    NOT NULL COLLATE "C",
	-- No foreign key to buckets: a job's record outlives its bucket.
	bucket           TEXT    NOT NULL COLLATE "C",
	owner_id         BIGINT  NOT NULL DEFAULT 0,
	user_id          BIGINT  NOT NULL DEFAULT 0,
	params           TEXT,
	state            TEXT    NOT NULL COLLATE "C",
	-- TRUE while the job is not terminal, NULL once it is: the
	-- one-active-job rule below only sees active rows.
	active           BOOLEAN CHECK (active),
	processed        BIGINT  NOT NULL DEFAULT 0,
	failed           BIGINT  NOT NULL DEFAULT 0,
	total            BIGINT  NOT NULL DEFAULT 0,
	skipped          BIGINT  NOT NULL DEFAULT 0,
	bytes            BIGINT  NOT NULL DEFAULT 0,
	result           BYTEA,
	message          TEXT    NOT NULL DEFAULT '',
	cursor           BYTEA,
	cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
	created_at       BIGINT  NOT NULL,
	completed_at     BIGINT  NOT NULL DEFAULT 0,
	lease_owner      TEXT    NOT NULL DEFAULT '' COLLATE "C",
	lease_expires    BIGINT  NOT NULL DEFAULT 0,
	attempts         INTEGER NOT NULL DEFAULT 0
);
ALTER SEQUENCE job_ids OWNED BY jobs.id;
-- At most one active job of each type per bucket.
CREATE UNIQUE INDEX jobs_active_one ON jobs (bucket, type) WHERE active;
-- ClaimJob: active jobs in id order, so the oldest claimable one is found
-- without sorting.
CREATE INDEX jobs_claim ON jobs (id) WHERE active;
-- ListJobs, newest first, by its most selective filter.
CREATE INDEX jobs_by_bucket ON jobs (bucket, id DESC);
CREATE INDEX jobs_by_owner ON jobs (owner_id, id DESC);
CREATE INDEX jobs_by_state ON jobs (state, id DESC);
-- DeleteJobsBefore: ended jobs by completion time.
CREATE INDEX jobs_ended ON jobs (completed_at) WHERE active IS NULL;

CREATE TABLE job_failures (
	id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	object_key TEXT    NOT NULL COLLATE "C",
	version_id TEXT    NOT NULL DEFAULT '' COLLATE "C",
	reason     TEXT    NOT NULL DEFAULT '',
	time       BIGINT  NOT NULL
);
-- ListJobFailures pages by id within a job.
CREATE INDEX job_failures_by_job ON job_failures (job_id, id);

-- Replication targets and who may use them besides their owner and admins.
CREATE TABLE replication_targets (
	arn                  TEXT    PRIMARY KEY COLLATE "C",
	name                 TEXT    NOT NULL UNIQUE COLLATE "C",
	endpoint             TEXT    NOT NULL,
	region               TEXT    NOT NULL DEFAULT '',
	bucket               TEXT    NOT NULL,
	access_key           TEXT    NOT NULL DEFAULT '',
	-- Sealed by the auth package; NULL for a target without credentials.
	secret_enc           BYTEA,
	insecure_skip_verify BOOLEAN NOT NULL DEFAULT FALSE,
	owner_id             BIGINT  NOT NULL DEFAULT 0,
	all_users            BOOLEAN NOT NULL DEFAULT FALSE,
	created_at           BIGINT  NOT NULL
);

-- No foreign keys on grants: a grant may name any user id, and the user
-- trigger below removes a deleted user's grants.
CREATE TABLE replication_target_grants (
	arn     TEXT   NOT NULL COLLATE "C",
	user_id BIGINT NOT NULL,
	PRIMARY KEY (arn, user_id)
);
CREATE INDEX replication_target_grants_user ON replication_target_grants (user_id, arn);

-- The configuration documents live on the bucket row (0001 has them; the
-- IF NOT EXISTS keeps this migration independent of that).
ALTER TABLE buckets ADD COLUMN IF NOT EXISTS replication BYTEA;
ALTER TABLE buckets ADD COLUMN IF NOT EXISTS notification BYTEA;
ALTER TABLE versions ADD COLUMN IF NOT EXISTS replication_status TEXT NOT NULL DEFAULT '';

-- The target ARNs a bucket's configuration names, so that a target in use
-- is found without decoding every configuration. No foreign key to the
-- targets: whether a target may be deleted while in use is the caller's
-- rule (BucketsUsingTarget), not the schema's.
CREATE TABLE bucket_replication_targets (
	bucket TEXT NOT NULL COLLATE "C" REFERENCES buckets (name) ON DELETE CASCADE,
	arn    TEXT NOT NULL COLLATE "C",
	PRIMARY KEY (bucket, arn)
);
CREATE INDEX bucket_replication_targets_arn ON bucket_replication_targets (arn, bucket);

-- A version's replication state at each target.
CREATE TABLE version_replication (
	bucket     TEXT   NOT NULL COLLATE "C",
	object_key TEXT   NOT NULL COLLATE "C",
	version_id TEXT   NOT NULL COLLATE "C",
	target_arn TEXT   NOT NULL COLLATE "C",
	status     TEXT   NOT NULL,
	error      TEXT   NOT NULL DEFAULT '',
	updated    BIGINT NOT NULL,
	PRIMARY KEY (bucket, object_key, version_id, target_arn)
);

-- Notification targets, owned and granted as replication targets are.
CREATE TABLE notification_targets (
	arn                  TEXT    PRIMARY KEY COLLATE "C",
	name                 TEXT    NOT NULL UNIQUE COLLATE "C",
	type                 TEXT    NOT NULL,
	endpoint             TEXT    NOT NULL,
	-- Sealed by the auth package; NULL for a target without a secret.
	secret_enc           BYTEA,
	insecure_skip_verify BOOLEAN NOT NULL DEFAULT FALSE,
	owner_id             BIGINT  NOT NULL DEFAULT 0,
	all_users            BOOLEAN NOT NULL DEFAULT FALSE,
	created_at           BIGINT  NOT NULL
);

CREATE TABLE notification_target_grants (
	arn     TEXT   NOT NULL COLLATE "C",
	user_id BIGINT NOT NULL,
	PRIMARY KEY (arn, user_id)
);
CREATE INDEX notification_target_grants_user ON notification_target_grants (user_id, arn);

CREATE TABLE bucket_notification_targets (
	bucket TEXT NOT NULL COLLATE "C" REFERENCES buckets (name) ON DELETE CASCADE,
	arn    TEXT NOT NULL COLLATE "C",
	PRIMARY KEY (bucket, arn)
);
CREATE INDEX bucket_notification_targets_arn ON bucket_notification_targets (arn, bucket);

-- The outbox. Its ids grow with insertion and are never reused, so id
-- order is the order entries were written in, for every kind;
-- ReserveOutboxIDs moves the sequence on to set ids aside.
CREATE SEQUENCE outbox_ids AS BIGINT MINVALUE 1 NO CYCLE;

CREATE TABLE outbox (
	id            BIGINT  PRIMARY KEY DEFAULT nextval('outbox_ids'),
	kind          TEXT    NOT NULL COLLATE "C",
	destination   TEXT    NOT NULL COLLATE "C",
	-- No foreign key: the bucket trigger below removes a deleted bucket's
	-- entries.
	bucket        TEXT    NOT NULL COLLATE "C",
	object_key    TEXT    NOT NULL COLLATE "C",
	version_id    TEXT    NOT NULL DEFAULT '' COLLATE "C",
	-- The delivery's own document (NULL when it needs none).
	payload       BYTEA,
	state         TEXT    NOT NULL DEFAULT 'PENDING' COLLATE "C",
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_attempt  BIGINT  NOT NULL DEFAULT 0,
	last_error    TEXT    NOT NULL DEFAULT '',
	lease_owner   TEXT    NOT NULL DEFAULT '' COLLATE "C",
	lease_expires BIGINT  NOT NULL DEFAULT 0,
	created_at    BIGINT  NOT NULL,
	updated_at    BIGINT  NOT NULL DEFAULT 0
);
ALTER SEQUENCE outbox_ids OWNED BY outbox.id;
-- Claims: the destinations with pending entries, and each one's due
-- entries, most overdue first.
CREATE INDEX outbox_due ON outbox (destination, next_attempt, id) WHERE state = 'PENDING';
-- Order per key: whether an older entry of the same key is pending.
CREATE INDEX outbox_key ON outbox (destination, bucket, object_key, id) WHERE state = 'PENDING';
-- Lists and counts by bucket; the bucket trigger.
CREATE INDEX outbox_bucket ON outbox (bucket, kind, id);
-- Lists and counts of every bucket.
CREATE INDEX outbox_kind ON outbox (kind, id);
-- PurgeOutbox: delivered entries, oldest first.
CREATE INDEX outbox_done ON outbox (updated_at) WHERE state = 'DONE';

-- Storage classes, fault domains and components. Names compare without
-- regard to case through a *_key column holding the lower-case form.
CREATE TABLE storage_classes (
	id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name         TEXT    NOT NULL,
	name_key     TEXT    NOT NULL UNIQUE COLLATE "C",
	data_count   INTEGER NOT NULL,
	parity_count INTEGER NOT NULL,
	is_default   BOOLEAN NOT NULL,
	created_at   BIGINT  NOT NULL
);
-- At most one default class.
CREATE UNIQUE INDEX storage_classes_default ON storage_classes (is_default) WHERE is_default;

CREATE TABLE storage_fault_domains (
	id         TEXT   PRIMARY KEY COLLATE "C",
	name       TEXT   NOT NULL,
	name_key   TEXT   NOT NULL UNIQUE COLLATE "C",
	tags       TEXT   NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE storage_components (
	id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	label           TEXT    NOT NULL,
	label_key       TEXT    NOT NULL UNIQUE COLLATE "C",
	storage_type    TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	-- TRUE while state is ACTIVE, READ_ONLY or PAUSED: the component holds
	-- the server's object data.
	in_service      BOOLEAN NOT NULL,
	verified        BOOLEAN NOT NULL,
	class_id        BIGINT  NOT NULL,
	fault_domain_id TEXT    NOT NULL,
	config          BYTEA   NOT NULL,
	secrets_enc     BYTEA   NOT NULL,
	custom_metadata BYTEA   NOT NULL,
	created_at      BIGINT  NOT NULL,
	updated_at      BIGINT  NOT NULL
);
-- At most one component in service: the one holding object data.
CREATE UNIQUE INDEX storage_components_in_service ON storage_components (in_service) WHERE in_service;

-- What goes with a deleted bucket: its version states and its outbox
-- entries (an entry of a deleted bucket could otherwise copy a later bucket
-- of the same name to a target that bucket never named). Its target lists
-- go by their foreign keys' cascade.
CREATE FUNCTION quarry_bucket_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM version_replication WHERE bucket = OLD.name;
	DELETE FROM outbox WHERE bucket = OLD.name;
	RETURN OLD;
END $$;
CREATE TRIGGER bucket_deleted AFTER DELETE ON buckets
	FOR EACH ROW EXECUTE FUNCTION quarry_bucket_deleted();

-- A deleted version's per-target states. Its outbox entries stay: the
-- replication delivery finds the version gone and drops them.
CREATE FUNCTION quarry_version_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM version_replication
		WHERE bucket = OLD.bucket AND object_key = OLD.object_key AND version_id = OLD.version_id;
	RETURN OLD;
END $$;
CREATE TRIGGER version_deleted AFTER DELETE ON versions
	FOR EACH ROW EXECUTE FUNCTION quarry_version_deleted();

-- A deleted user's grants.
CREATE FUNCTION quarry_user_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM replication_target_grants WHERE user_id = OLD.id;
	DELETE FROM notification_target_grants WHERE user_id = OLD.id;
	RETURN OLD;
END $$;
CREATE TRIGGER user_deleted AFTER DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION quarry_user_deleted();
