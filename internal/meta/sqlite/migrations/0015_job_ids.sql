-- Quarry metadata schema, version 15: job ids from a counter of their own.
--
-- Job ids came from the jobs table's AUTOINCREMENT, read back through
-- SQLite's internal sqlite_sequence. They now come from job_id_seq, one row
-- bumped as a job is created, as bucket numbers do (0006): the same rule as
-- the PostgreSQL store's sequence, that an id is never handed out twice,
-- kept in a table the store owns. The counter starts at the largest id
-- handed out so far, deleted jobs included.

CREATE TABLE job_id_seq (
	last INTEGER NOT NULL
);

INSERT INTO job_id_seq (last) SELECT MAX(
	COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0),
	COALESCE((SELECT MAX(id) FROM jobs), 0));
