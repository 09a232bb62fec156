-- Quarry metadata schema, version 13: inline objects.
--
-- Same portable conventions as 0001: booleans INTEGER 0/1, BLOB is BYTEA in
-- PostgreSQL. A small object's data can be kept in the store, written in
-- the same transaction as its version row, instead of in a blob: one
-- durable commit per PUT. The version row says so (is_inline); the bytes
-- live in a table of their own, keyed by the version's seq, so that lists
-- and HEAD, which read version rows only, never load them. They go with
-- the version row (ON DELETE CASCADE).

ALTER TABLE versions ADD COLUMN is_inline INTEGER NOT NULL DEFAULT 0;

CREATE TABLE version_inline (
	seq  INTEGER PRIMARY KEY REFERENCES versions (seq) ON DELETE CASCADE,
	data BLOB    NOT NULL
);
