-- Quarry PostgreSQL metadata schema, version 3: what reconciliations
-- corrected in a bucket's usage, in a table of its own. GetUsage adds it to
-- the sum of the shards. Kept apart from bucket_usage so that a correction
-- writes nothing the writers of the bucket read (not even a page of
-- bucket_usage's index): under SERIALIZABLE a correction, which recounts
-- the whole bucket in its transaction, otherwise lost to a stream of
-- writers every time.
CREATE TABLE bucket_usage_correction (
	bucket        TEXT   NOT NULL COLLATE "C" PRIMARY KEY REFERENCES buckets (name) ON DELETE CASCADE,
	objects       BIGINT NOT NULL DEFAULT 0,
	bytes         BIGINT NOT NULL DEFAULT 0,
	versions      BIGINT NOT NULL DEFAULT 0,
	version_bytes BIGINT NOT NULL DEFAULT 0
);
