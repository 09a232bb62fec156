package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/internal/meta"
)

var _ meta.JobTx = (*tx)(nil)

const (
	jobCols = `id, type, bucket, owner_id, user_id, params, state,
		processed, failed, total, skipped, bytes, result, message, cursor,
		cancel_requested, created_at, completed_at, lease_owner, lease_expires, attempts`

	qActiveJobID = `SELECT id FROM jobs WHERE bucket = $1 AND type = $2 AND active`
	// The id comes from the job_ids sequence. The active job is looked for
	// first, so that a refused create draws no id; DO NOTHING (without a
	// target) still covers a job created concurrently, leaving the
	// transaction usable and RETURNING without a row.
	qCreateJob = `INSERT INTO jobs (type, bucket, owner_id, user_id, params, state, active,
		processed, failed, total, skipped, bytes, result, message, cursor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT DO NOTHING RETURNING id`
	qGetJob = `SELECT ` + jobCols + ` FROM jobs WHERE id = $1`
)

// codeSequenceExhausted is SQLSTATE sequence_generator_limit_exceeded:
// nextval past the sequence's MAXVALUE.
const codeSequenceExhausted = "2200H"

// jobStatsArgs are the args for the job columns from processed to cursor,
// in qCreateJob order.
func jobStatsArgs(j *meta.Job) []any {
	return []any{j.Stats.Processed, j.Stats.Failed, j.Stats.Total, j.Stats.Skipped, j.Stats.Bytes,
		j.Result, freeText(j.Message), j.Cursor}
}

func (t *tx) CreateJob(j *meta.Job) error {
	if !j.State.Valid() || j.State.Terminal() {
		return fmt.Errorf("create %s job on %q: state %q is not an active job state", j.Type, j.Bucket, j.State)
	}
	params, err := jsonMap(j.Params)
	if err != nil {
		return fmt.Errorf("create %s job on %q: encode params: %w", j.Type, j.Bucket, err)
	}
	if err := t.activeJob(j); err != nil {
		return err
	}
	args := []any{j.Type, j.Bucket, j.OwnerID, j.UserID, params, string(j.State)}
	args = append(args, jobStatsArgs(j)...)
	args = append(args, nanosOf(j.CreatedAt))
	var id int32
	err = t.queryRow(qCreateJob, args...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		if err := t.activeJob(j); err != nil {
			return err
		}
		return fmt.Errorf("create %s job on %q: the active job vanished", j.Type, j.Bucket)
	}
	if code(err) == codeSequenceExhausted {
		return fmt.Errorf("create %s job on %q: job ids are exhausted (ids are int32 and never reused): %w",
			j.Type, j.Bucket, err)
	}
	if err != nil {
		return fmt.Errorf("create %s job on %q: %w", j.Type, j.Bucket, classify(err))
	}
	j.ID = id
	return nil
}

// activeJob returns an *meta.ActiveJobError when a job of j's type is
// active on j's bucket, nil when none is.
func (t *tx) activeJob(j *meta.Job) error {
	var active int32
	err := t.queryRow(qActiveJobID, j.Bucket, j.Type).Scan(&active)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s job on %q: find the active job: %w", j.Type, j.Bucket, err)
	}
	return &meta.ActiveJobError{ID: active}
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

func scanJob(s pgx.Row) (*meta.Job, error) {
	var (
		j                             meta.Job
		params                        *string
		state                         string
		created, completed, leaseExpr int64
	)
	err := s.Scan(&j.ID, &j.Type, &j.Bucket, &j.OwnerID, &j.UserID, &params, &state,
		&j.Stats.Processed, &j.Stats.Failed, &j.Stats.Total, &j.Stats.Skipped, &j.Stats.Bytes,
		&j.Result, &j.Message, &j.Cursor,
		&j.CancelRequested, &created, &completed, &j.LeaseOwner, &leaseExpr, &j.Attempts)
	if err != nil {
		return nil, err
	}
	j.State = meta.JobState(state)
	j.CreatedAt = timeOf(created)
	j.CompletedAt = timeOf(completed)
	j.LeaseExpires = timeOf(leaseExpr)
	if j.Params, err = mapOf(params); err != nil {
		return nil, fmt.Errorf("job %d params: %w", j.ID, err)
	}
	return &j, nil
}
