package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

var _ meta.JobTx = (*tx)(nil)

const (
	qActiveJobID = `SELECT id FROM jobs WHERE bucket = $1 AND type = $2 AND active`
	// The id comes from the job_ids sequence. The active job is looked for
	// first, so that a refused create draws no id; DO NOTHING (without a
	// target) still covers a job created concurrently, leaving the
	// transaction usable and RETURNING without a row.
	qCreateJob = `INSERT INTO jobs (type, bucket, owner_id, user_id, params, state, active,
		processed, failed, total, skipped, bytes, result, message, cursor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT DO NOTHING RETURNING id`

	// ListJobs has one statement per leading filter, so that each can walk
	// its own index newest first (bucket, owner or state, then id); the
	// other filters are optional terms that a zero value switches off. They
	// share the numbered parameters of jobFilterTail, cast to their types
	// so that none is inferred from a column (id is an INTEGER, but the
	// first page starts below 2^31).
	jobFilterTail = ` id < $1::bigint AND ($2::text = '' OR bucket = $2) AND ($3::bigint = 0 OR owner_id = $3)
		AND ($4::bigint = 0 OR user_id = $4) AND ($5::text = '' OR type = $5) AND ($6::text = '' OR state = $6)
		ORDER BY id DESC LIMIT $7`
)

var jobQueries = sqltx.JobQueries{
	Get:          `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE id = $1`,
	List:         `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE` + jobFilterTail,
	ListByBucket: `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE bucket = $2 AND` + jobFilterTail,
	ListByOwner:  `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE owner_id = $3 AND` + jobFilterTail,
	ListByState:  `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE state = $6 AND` + jobFilterTail,

	// The candidate is locked FOR UPDATE SKIP LOCKED: a job another node is
	// claiming right now is passed over, not waited for, so nodes claiming
	// at once take different jobs. The UPDATE repeats the conditions, which
	// a claim committed since this transaction's snapshot may have changed.
	Claim: `UPDATE jobs SET lease_owner = $1, lease_expires = $2, attempts = attempts + 1
		WHERE id = (SELECT id FROM jobs WHERE active AND (lease_owner = '' OR lease_expires < $3)
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
			AND active AND (lease_owner = '' OR lease_expires < $3)
		RETURNING ` + sqltx.JobColumns,
	RenewLease: `UPDATE jobs SET lease_expires = $1
		WHERE id = $2 AND lease_owner = $3 AND active
		RETURNING ` + sqltx.JobColumns,
	Save: `UPDATE jobs SET state = $1, active = $2,
		processed = $3, failed = $4, total = $5, skipped = $6, bytes = $7, result = $8, message = $9, cursor = $10,
		completed_at = $11, lease_owner = $12, lease_expires = $13
		WHERE id = $14 AND lease_owner = $15 AND active`,
	Exists: `SELECT EXISTS (SELECT 1 FROM jobs WHERE id = $1)`,
	CancelFree: `UPDATE jobs SET state = 'CANCELLED', active = NULL, cancel_requested = TRUE,
		completed_at = $1, lease_owner = '', lease_expires = 0
		WHERE id = $2 AND active AND (lease_owner = '' OR lease_expires < $1)
		RETURNING ` + sqltx.JobColumns,
	RequestCancel: `UPDATE jobs SET cancel_requested = TRUE WHERE id = $1 AND active RETURNING ` + sqltx.JobColumns,
}

// codeSequenceExhausted is SQLSTATE sequence_generator_limit_exceeded:
// nextval past the sequence's MAXVALUE.
const codeSequenceExhausted = "2200H"

func (t *tx) CreateJob(j *meta.Job) error {
	if !j.State.Valid() || j.State.Terminal() {
		return fmt.Errorf("create %s job on %q: state %q is not an active job state", j.Type, j.Bucket, j.State)
	}
	params, err := metasql.EncodeMap(j.Params)
	if err != nil {
		return fmt.Errorf("create %s job on %q: encode params: %w", j.Type, j.Bucket, err)
	}
	if err := t.activeJob(j); err != nil {
		return err
	}
	args := []any{j.Type, j.Bucket, j.OwnerID, j.UserID, params, string(j.State)}
	args = append(args, t.JobStatsArgs(j)...)
	args = append(args, metasql.Nanos(j.CreatedAt))
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
