-- Quarry metadata schema, version 8: server-side encryption at rest.
--
-- Same portable conventions as 0001. A version records the encryption its
-- data is stored under (sse, '' for plaintext); each of its segments (JSON,
-- as before) then carries the sealed data key of its blob. A multipart
-- upload records the encryption of its parts, and each part the sealed
-- data key of its blob, which completion copies into the version's
-- segments. Sizes stay plaintext sizes everywhere.

ALTER TABLE buckets ADD COLUMN encryption BLOB;

ALTER TABLE versions ADD COLUMN sse TEXT NOT NULL DEFAULT '';
-- ListSealedVersions: a key rotation visits encrypted versions only.
CREATE INDEX versions_sealed ON versions (seq) WHERE sse <> '';

ALTER TABLE uploads ADD COLUMN sse TEXT NOT NULL DEFAULT '';
ALTER TABLE parts ADD COLUMN sealed_key BLOB;
CREATE INDEX parts_sealed ON parts (upload_id, number) WHERE sealed_key IS NOT NULL;

-- Key-encryption keys, each sealed by the server's key file. The highest
-- id is current; AUTOINCREMENT never hands an id out twice, so a rotated
-- key's id never comes back to name another key.
CREATE TABLE sse_keys (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	sealed     BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);

-- Rekey events: mode changes and key rotations, newest by id.
CREATE TABLE sse_events (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	user_name TEXT    NOT NULL DEFAULT '',
	time      INTEGER NOT NULL,
	code      TEXT    NOT NULL,
	message   TEXT    NOT NULL DEFAULT ''
);
