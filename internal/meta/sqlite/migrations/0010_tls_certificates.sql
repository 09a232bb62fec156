-- Quarry metadata schema, version 10: the TLS certificates the listeners
-- serve by name (SNI), shared by every node.
--
-- Same portable conventions as 0001: times are INTEGER unix nanoseconds,
-- BLOB is BYTEA in PostgreSQL. The private key is sealed by the auth
-- package before it gets here, so a copy of the database alone does not
-- give it away.

CREATE TABLE tls_certificates (
	-- The subject DN in canonical form: one certificate per subject, and a
	-- renewal replaces it.
	dn_key     TEXT    PRIMARY KEY,
	subject_dn TEXT    NOT NULL,
	issuer_dn  TEXT    NOT NULL,
	not_before INTEGER NOT NULL,
	not_after  INTEGER NOT NULL,
	-- The certificate and its chain, leaf first (PEM).
	chain_pem  BLOB    NOT NULL,
	key_enc    BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);
