package sqlite

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

var jobFailureQueries = sqltx.JobFailureQueries{
	Add: `INSERT INTO job_failures (job_id, object_key, version_id, reason, time)
		VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id`,
	List: `SELECT id, job_id, object_key, version_id, reason, time FROM job_failures
		WHERE job_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3`,
	// Retention removes ended jobs only: active IS NULL exactly when the
	// state is terminal. It deletes the failures itself rather than
	// trusting the cascade, so the store behaves the same with foreign keys
	// off.
	DeleteEndedFailures: `DELETE FROM job_failures WHERE job_id IN
		(SELECT id FROM jobs WHERE active IS NULL AND completed_at < ?1)`,
	DeleteEnded: `DELETE FROM jobs WHERE active IS NULL AND completed_at < ?1`,
	Count:       `SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state ORDER BY type, state`,
}
