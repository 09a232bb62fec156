-- Quarry metadata schema, version 2: durable batch jobs and their failures.
--
-- Same portable conventions as 0001: times are INTEGER unix nanoseconds
-- (0 = unset), params JSON TEXT, booleans INTEGER 0/1. Partial indexes are
-- used because SQLite and PostgreSQL both support them.

CREATE TABLE jobs (
	-- AUTOINCREMENT: a job id is never reused, so an old id in a client's
	-- hands can never come to name another job. Ids are MAPI int32s; the
	-- store refuses to create a job past 2147483647.
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	type             TEXT    NOT NULL,
	-- No foreign key to buckets: a job's record outlives its bucket.
	bucket           TEXT    NOT NULL,
	owner_id         INTEGER NOT NULL DEFAULT 0,
	user_id          INTEGER NOT NULL DEFAULT 0,
	params           TEXT,
	state            TEXT    NOT NULL,
	-- 1 while the job is not terminal, NULL once it is: the one-active-job
	-- rule below only sees active rows.
	active           INTEGER CHECK (active = 1),
	processed        INTEGER NOT NULL DEFAULT 0,
	failed           INTEGER NOT NULL DEFAULT 0,
	total            INTEGER NOT NULL DEFAULT 0,
	skipped          INTEGER NOT NULL DEFAULT 0,
	bytes            INTEGER NOT NULL DEFAULT 0,
	result           BLOB,
	message          TEXT    NOT NULL DEFAULT '',
	cursor           BLOB,
	cancel_requested INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	completed_at     INTEGER NOT NULL DEFAULT 0,
	lease_owner      TEXT    NOT NULL DEFAULT '',
	lease_expires    INTEGER NOT NULL DEFAULT 0,
	attempts         INTEGER NOT NULL DEFAULT 0
);
-- At most one active job of each type per bucket.
CREATE UNIQUE INDEX jobs_active_one ON jobs (bucket, type) WHERE active = 1;
-- ClaimJob: active jobs in id order, so the oldest claimable one is found
-- without sorting.
CREATE INDEX jobs_claim ON jobs (id) WHERE active = 1;
-- ListJobs, newest first, by its most selective filter.
CREATE INDEX jobs_by_bucket ON jobs (bucket, id DESC);
CREATE INDEX jobs_by_owner ON jobs (owner_id, id DESC);
CREATE INDEX jobs_by_state ON jobs (state, id DESC);
-- DeleteJobsBefore: ended jobs by completion time.
CREATE INDEX jobs_ended ON jobs (completed_at) WHERE active IS NULL;

CREATE TABLE job_failures (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	object_key  TEXT    NOT NULL,
	version_id  TEXT    NOT NULL DEFAULT '',
	reason      TEXT    NOT NULL DEFAULT '',
	time        INTEGER NOT NULL
);
-- ListJobFailures pages by id within a job.
CREATE INDEX job_failures_by_job ON job_failures (job_id, id);
