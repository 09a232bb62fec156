-- Quarry metadata schema, version 9: the event log (also the audit log).
--
-- Same portable conventions as 0001: times are INTEGER unix nanoseconds,
-- booleans INTEGER 0/1. Rows are appended and never updated; retention
-- deletes the oldest.

CREATE TABLE events (
	-- AUTOINCREMENT: an id is never reused, so ids keep growing after
	-- retention removed the oldest rows.
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	time        INTEGER NOT NULL,
	type_id     INTEGER NOT NULL,
	category    TEXT    NOT NULL,
	severity    TEXT    NOT NULL,
	gms         INTEGER NOT NULL DEFAULT 0,
	subject     TEXT    NOT NULL DEFAULT '',
	message     TEXT    NOT NULL DEFAULT '',
	-- No foreign keys to users: the log outlives the users it names, and
	-- keeps the actor's name as it was.
	actor_id    INTEGER NOT NULL DEFAULT 0,
	actor_name  TEXT    NOT NULL DEFAULT '',
	owner_id    INTEGER NOT NULL DEFAULT 0,
	count       INTEGER NOT NULL DEFAULT 1
);
-- Listing newest first, and retention oldest first.
CREATE INDEX events_by_time ON events (time, id);
-- A user's own events, newest first (what a user who is not an admin sees).
CREATE INDEX events_by_owner ON events (owner_id, time, id);
