-- Quarry metadata schema, version 4: who may use a replication target.
--
-- A target's owner (owner_id) and admins may always use it. Besides them,
-- all_users grants it to every user and replication_target_grants to the
-- users it names. Targets that existed before this version keep no grant:
-- only their owner and admins may use them until one is given.
--
-- Same conventions as 0001 and 0003: booleans INTEGER 0/1, no foreign keys
-- (the store deletes the grants of a deleted target or user itself).

ALTER TABLE replication_targets ADD COLUMN all_users INTEGER NOT NULL DEFAULT 0;

CREATE TABLE replication_target_grants (
	arn     TEXT    NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (arn, user_id)
);
-- DeleteUser removes a user's grants.
CREATE INDEX replication_target_grants_user ON replication_target_grants (user_id, arn);
