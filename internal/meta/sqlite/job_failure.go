package sqlite

import (
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	qAddJobFailure = `INSERT INTO job_failures (job_id, object_key, version_id, reason, time)
		VALUES (?, ?, ?, ?, ?) RETURNING id`
	qListJobFailures = `SELECT id, job_id, object_key, version_id, reason, time FROM job_failures
		WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?`

	// Retention removes ended jobs only: active IS NULL exactly when the
	// state is terminal.
	qDeleteEndedJobFailures = `DELETE FROM job_failures WHERE job_id IN
		(SELECT id FROM jobs WHERE active IS NULL AND completed_at < ?)`
	qDeleteEndedJobs = `DELETE FROM jobs WHERE active IS NULL AND completed_at < ?`
)

// AddJobFailure returns ErrNotFound when the job does not exist.
func (t *tx) AddJobFailure(f *meta.JobFailure) error {
	err := t.queryRow(qAddJobFailure, f.JobID, f.Key, f.VersionID, f.Reason, metasql.Nanos(f.Time)).Scan(&f.ID)
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
		f.Time = metasql.Time(at)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list failures of job %d: %w", jobID, err)
	}
	return out, nil
}

// DeleteJobsBefore deletes the failures itself rather than trusting the
// cascade, so the store behaves the same with foreign keys off.
func (t *tx) DeleteJobsBefore(before time.Time) (int, error) {
	cutoff := metasql.Nanos(before)
	if _, err := t.exec(qDeleteEndedJobFailures, cutoff); err != nil {
		return 0, fmt.Errorf("delete failures of jobs ended before %s: %w", before, err)
	}
	res, err := t.exec(qDeleteEndedJobs, cutoff)
	if err != nil {
		return 0, fmt.Errorf("delete jobs ended before %s: %w", before, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete jobs ended before %s: %w", before, err)
	}
	return int(n), nil
}
