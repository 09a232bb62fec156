package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.JobTx = (*tx)(nil)

const (
	jobCols = `id, type, bucket, owner_id, user_id, params, state,
		processed, failed, total, skipped, bytes, result, message, cursor,
		cancel_requested, created_at, completed_at, lease_owner, lease_expires, attempts`

	// qLastJobID is the highest id handed out, deleted jobs included
	// (migration 0015); qSetLastJobID moves it on once a job took the next.
	qLastJobID    = `SELECT last FROM job_id_seq`
	qSetLastJobID = `UPDATE job_id_seq SET last = ?`
	// DO NOTHING (without a target) skips the insert on the one-active-job
	// index, so the conflict leaves the transaction usable (PostgreSQL
	// would abort it on a raised unique violation) and RETURNING gives no
	// row.
	qCreateJob = `INSERT INTO jobs (id, type, bucket, owner_id, user_id, params, state, active,
		processed, failed, total, skipped, bytes, result, message, cursor, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING id`
	qActiveJobID = `SELECT id FROM jobs WHERE bucket = ? AND type = ? AND active = 1`
	qGetJob      = `SELECT ` + jobCols + ` FROM jobs WHERE id = ?`
)

// jobStatsArgs are the args for the job columns from processed to cursor,
// in qCreateJob order.
func jobStatsArgs(j *meta.Job) []any {
	return []any{j.Stats.Processed, j.Stats.Failed, j.Stats.Total, j.Stats.Skipped, j.Stats.Bytes,
		j.Result, j.Message, j.Cursor}
}

func (t *tx) CreateJob(j *meta.Job) error {
	if !j.State.Valid() || j.State.Terminal() {
		return fmt.Errorf("create %s job on %q: state %q is not an active job state", j.Type, j.Bucket, j.State)
	}
	params, err := metasql.EncodeMap(j.Params)
	if err != nil {
		return fmt.Errorf("create %s job on %q: encode params: %w", j.Type, j.Bucket, err)
	}
	var last int64
	if err := t.queryRow(qLastJobID).Scan(&last); err != nil {
		return fmt.Errorf("create %s job on %q: last id: %w", j.Type, j.Bucket, err)
	}
	if last >= math.MaxInt32 {
		return fmt.Errorf("create %s job on %q: job ids are exhausted (last id %d, ids are int32)", j.Type, j.Bucket, last)
	}

	args := []any{last + 1, j.Type, j.Bucket, j.OwnerID, j.UserID, params, string(j.State)}
	args = append(args, jobStatsArgs(j)...)
	args = append(args, metasql.Nanos(j.CreatedAt))
	var id int32
	err = t.queryRow(qCreateJob, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		var active int32
		if err := t.queryRow(qActiveJobID, j.Bucket, j.Type).Scan(&active); err != nil {
			return fmt.Errorf("create %s job on %q: find the active job: %w", j.Type, j.Bucket, classify(err))
		}
		return &meta.ActiveJobError{ID: active}
	}
	if err != nil {
		return fmt.Errorf("create %s job on %q: %w", j.Type, j.Bucket, classify(err))
	}
	// The single writer makes read, insert and bump one step.
	if _, err := t.exec(qSetLastJobID, id); err != nil {
		return fmt.Errorf("create %s job on %q: move the id counter on: %w", j.Type, j.Bucket, err)
	}
	j.ID = id
	return nil
}

func (t *tx) GetJob(id int32) (*meta.Job, error) {
	j, err := scanJob(t.queryRow(qGetJob, id))
	if err != nil {
		return nil, fmt.Errorf("get job %d: %w", id, classify(err))
	}
	return j, nil
}

// queryJobs runs a query returning jobCols rows.
func (t *tx) queryJobs(query string, args ...any) ([]meta.Job, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

func scanJob(s scanner) (*meta.Job, error) {
	var (
		j                             meta.Job
		params                        sql.NullString
		state                         string
		cancel                        int
		created, completed, leaseExpr int64
	)
	err := s.Scan(&j.ID, &j.Type, &j.Bucket, &j.OwnerID, &j.UserID, &params, &state,
		&j.Stats.Processed, &j.Stats.Failed, &j.Stats.Total, &j.Stats.Skipped, &j.Stats.Bytes,
		&j.Result, &j.Message, &j.Cursor,
		&cancel, &created, &completed, &j.LeaseOwner, &leaseExpr, &j.Attempts)
	if err != nil {
		return nil, err
	}
	j.State = meta.JobState(state)
	j.CancelRequested = cancel != 0
	j.CreatedAt = metasql.Time(created)
	j.CompletedAt = metasql.Time(completed)
	j.LeaseExpires = metasql.Time(leaseExpr)
	if j.Params, err = metasql.DecodeMap(params); err != nil {
		return nil, fmt.Errorf("job %d params: %w", j.ID, err)
	}
	return &j, nil
}
