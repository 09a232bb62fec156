-- Quarry metadata schema, version 7: bucket lifecycle configurations.
--
-- The document is the lifecycle package's encoding, opaque to the store,
-- as buckets.replication is; NULL means the bucket has none. It goes with
-- the bucket row, so DeleteBucket needs no extra step.

ALTER TABLE buckets ADD COLUMN lifecycle BLOB;
