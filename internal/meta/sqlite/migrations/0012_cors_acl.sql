-- Quarry metadata schema, version 12: access control lists and CORS.
--
-- An ACL is a canned ACL's name, opaque to the store ('' is private), kept
-- on the row it governs so that it goes with it: a deleted version, upload
-- or bucket takes its ACL along. The CORS document is the cors package's
-- encoding, opaque to the store as buckets.lifecycle is; NULL means none.

ALTER TABLE buckets ADD COLUMN acl TEXT NOT NULL DEFAULT '';
ALTER TABLE buckets ADD COLUMN cors BLOB;
ALTER TABLE versions ADD COLUMN acl TEXT NOT NULL DEFAULT '';
ALTER TABLE uploads ADD COLUMN acl TEXT NOT NULL DEFAULT '';
