package sqltx

import (
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// JobFailureQueries are the statements of job failures, job retention and
// job counts.
type JobFailureQueries struct {
	// Add (job_id, object_key, version_id, reason, time) RETURNING id.
	Add string
	// List (jobID, afterID, limit) selects id, job_id, object_key,
	// version_id, reason, time by id.
	List string
	// DeleteEndedFailures (before) deletes the failures of the jobs
	// DeleteEnded deletes, for a store whose cascade may be off; empty
	// when the cascade does it.
	DeleteEndedFailures string
	// DeleteEnded (before) deletes the jobs that ended before before.
	DeleteEnded string
	// Count () selects type, state, count of jobs, by type and state.
	Count string
}

// AddJobFailure returns ErrNotFound when the job does not exist.
func (t *Tx) AddJobFailure(f *meta.JobFailure) error {
	f.Reason = t.freeText(f.Reason) // may quote what a remote server answered
	err := t.c.QueryRow(t.d.JobFailure.Add, f.JobID, f.Key, f.VersionID, f.Reason, metasql.Nanos(f.Time)).Scan(&f.ID)
	if err != nil {
		return fmt.Errorf("add failure of job %d for %q: %w", f.JobID, f.Key, t.c.ClassifyInsert(err))
	}
	return nil
}

func (t *Tx) ListJobFailures(jobID int32, afterID int64, n int) ([]meta.JobFailure, error) {
	rows, err := t.c.Query(t.d.JobFailure.List, jobID, afterID, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list failures of job %d: %w", jobID, err)
	}
	out, err := collect(nil, rows, func(r Row) (*meta.JobFailure, error) {
		var (
			f  meta.JobFailure
			at int64
		)
		if err := r.Scan(&f.ID, &f.JobID, &f.Key, &f.VersionID, &f.Reason, &at); err != nil {
			return nil, err
		}
		f.Time = metasql.Time(at)
		return &f, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list failures of job %d: %w", jobID, err)
	}
	return out, nil
}

func (t *Tx) DeleteJobsBefore(before time.Time) (int, error) {
	cutoff := metasql.Nanos(before)
	if q := t.d.JobFailure.DeleteEndedFailures; q != "" {
		if _, err := t.c.Exec(q, cutoff); err != nil {
			return 0, fmt.Errorf("delete failures of jobs ended before %s: %w", before, err)
		}
	}
	n, err := t.c.Exec(t.d.JobFailure.DeleteEnded, cutoff)
	if err != nil {
		return 0, fmt.Errorf("delete jobs ended before %s: %w", before, err)
	}
	return int(n), nil
}

func (t *Tx) CountJobs() ([]meta.JobCount, error) {
	rows, err := t.c.Query(t.d.JobFailure.Count)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	out, err := collect(nil, rows, func(r Row) (*meta.JobCount, error) {
		var (
			c     meta.JobCount
			state string
		)
		if err := r.Scan(&c.Type, &state, &c.Count); err != nil {
			return nil, err
		}
		c.State = meta.JobState(state)
		return &c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return out, nil
}
