package postgres

import (
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

const (
	qAddJobFailure = `INSERT INTO job_failures (job_id, object_key, version_id, reason, time)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`
	qListJobFailures = `SELECT id, job_id, object_key, version_id, reason, time FROM job_failures
		WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3`
	// Retention removes ended jobs only (active IS NULL exactly when the
	// state is terminal); their failures go by the foreign key's cascade.
	qDeleteEndedJobs = `DELETE FROM jobs WHERE active IS NULL AND completed_at < $1`
	qCountJobs       = `SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state ORDER BY type, state`
)

// AddJobFailure returns ErrNotFound when the job does not exist.
func (t *tx) AddJobFailure(f *meta.JobFailure) error {
	f.Reason = freeText(f.Reason) // may quote what a remote server answered
	err := t.queryRow(qAddJobFailure, f.JobID, f.Key, f.VersionID, f.Reason, nanosOf(f.Time)).Scan(&f.ID)
	if err != nil {
		return fmt.Errorf("add failure of job %d for %q: %w", f.JobID, f.Key, classifyInsert(err))
	}
	return nil
}

func (t *tx) ListJobFailures(jobID int32, afterID int64, limit int) ([]meta.JobFailure, error) {
	rows, err := t.query(qListJobFailures, jobID, afterID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list failures of job %d: %w", jobID, err)
	}
	defer rows.Close()
	var out []meta.JobFailure
	for rows.Next() {
		var (
			f  meta.JobFailure
			at int64
		)
		if err := rows.Scan(&f.ID, &f.JobID, &f.Key, &f.VersionID, &f.Reason, &at); err != nil {
			return nil, fmt.Errorf("list failures of job %d: %w", jobID, err)
		}
		f.Time = timeOf(at)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list failures of job %d: %w", jobID, err)
	}
	return out, nil
}

func (t *tx) DeleteJobsBefore(before time.Time) (int, error) {
	tag, err := t.exec(qDeleteEndedJobs, nanosOf(before))
	if err != nil {
		return 0, fmt.Errorf("delete jobs ended before %s: %w", before, err)
	}
	return int(tag.RowsAffected()), nil
}

func (t *tx) CountJobs() ([]meta.JobCount, error) {
	rows, err := t.query(qCountJobs)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	var out []meta.JobCount
	for rows.Next() {
		var (
			c     meta.JobCount
			state string
		)
		if err := rows.Scan(&c.Type, &state, &c.Count); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		c.State = meta.JobState(state)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return out, nil
}
