-- Quarry metadata schema, version 6: a number for every bucket.
--
-- The management API shows a bucket's number as bucketId (the vendor's
-- clients read an integer there). It is taken from a counter rather than
-- derived from the name, so a bucket deleted and created again under the
-- same name gets a new number and an old number never comes to name
-- another bucket. One row, bumped with UPDATE ... RETURNING: portable to
-- PostgreSQL, where a sequence would do the same.

CREATE TABLE bucket_id_seq (
	last INTEGER NOT NULL
);

ALTER TABLE buckets ADD COLUMN id INTEGER NOT NULL DEFAULT 0;

-- Buckets that exist already are numbered in the order they were created.
UPDATE buckets SET id = numbered.n
FROM (SELECT name, ROW_NUMBER() OVER (ORDER BY created_at, name) AS n FROM buckets) AS numbered
WHERE numbered.name = buckets.name;

INSERT INTO bucket_id_seq (last) SELECT COALESCE(MAX(id), 0) FROM buckets;

CREATE UNIQUE INDEX buckets_id ON buckets (id);
