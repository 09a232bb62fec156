-- Quarry metadata schema, version 14: storage components (buckets on S3
-- endpoints that object data can be kept in), storage classes and fault
-- domains, as the management API registers them.
--
-- Same portable conventions as 0001: times are INTEGER unix nanoseconds,
-- booleans INTEGER 0/1, BLOB is BYTEA in PostgreSQL. Names compare without
-- regard to case through a *_key column holding the lower-case form. A
-- component's secrets are sealed by the auth package before they get here.

CREATE TABLE storage_classes (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	name         TEXT    NOT NULL,
	name_key     TEXT    NOT NULL UNIQUE,
	data_count   INTEGER NOT NULL,
	parity_count INTEGER NOT NULL,
	is_default   INTEGER NOT NULL,
	created_at   INTEGER NOT NULL
);

-- At most one default class.
CREATE UNIQUE INDEX storage_classes_default ON storage_classes (is_default) WHERE is_default = 1;

CREATE TABLE storage_fault_domains (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	name_key   TEXT    NOT NULL UNIQUE,
	tags       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE storage_components (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	label           TEXT    NOT NULL,
	label_key       TEXT    NOT NULL UNIQUE,
	storage_type    TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	-- 1 while state is ACTIVE, READ_ONLY or PAUSED: the component holds
	-- the server's object data.
	in_service      INTEGER NOT NULL,
	verified        INTEGER NOT NULL,
	class_id        INTEGER NOT NULL,
	fault_domain_id TEXT    NOT NULL,
	config          BLOB    NOT NULL,
	secrets_enc     BLOB    NOT NULL,
	custom_metadata BLOB    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);

-- At most one component in service: the one holding object data.
CREATE UNIQUE INDEX storage_components_in_service ON storage_components (in_service) WHERE in_service = 1;
