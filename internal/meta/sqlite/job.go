package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

var _ meta.JobTx = (*tx)(nil)

const (
	// qLastJobID is the highest id handed out, deleted jobs included
	// (migration 0015); qSetLastJobID moves it on once a job took the next.
	qLastJobID    = `SELECT last FROM job_id_seq`
	qSetLastJobID = `UPDATE job_id_seq SET last = ?1`
	// DO NOTHING (without a target) skips the insert on the one-active-job
	// index, so the conflict leaves the transaction usable (PostgreSQL
	// would abort it on a raised unique violation) and RETURNING gives no
	// row.
	qCreateJob = `INSERT INTO jobs (id, type, bucket, owner_id, user_id, params, state, active,
		processed, failed, total, skipped, bytes, result, message, cursor, created_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
		ON CONFLICT DO NOTHING RETURNING id`
	qActiveJobID = `SELECT id FROM jobs WHERE bucket = ?1 AND type = ?2 AND active = 1`

	// ListJobs has one statement per leading filter, so that each can walk
	// its own index newest first (bucket, owner or state, then id); the
	// other filters are optional terms that a zero value switches off. They
	// share the numbered parameters of jobFilterTail.
	jobFilterTail = ` id < ?1 AND (?2 = '' OR bucket = ?2) AND (?3 = 0 OR owner_id = ?3)
		AND (?4 = 0 OR user_id = ?4) AND (?5 = '' OR type = ?5) AND (?6 = '' OR state = ?6)
		ORDER BY id DESC LIMIT ?7`
)

var jobQueries = sqltx.JobQueries{
	Get:          `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE id = ?1`,
	List:         `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE` + jobFilterTail,
	ListByBucket: `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE bucket = ?2 AND` + jobFilterTail,
	ListByOwner:  `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE owner_id = ?3 AND` + jobFilterTail,
	ListByState:  `SELECT ` + sqltx.JobColumns + ` FROM jobs WHERE state = ?6 AND` + jobFilterTail,

	Claim: `UPDATE jobs SET lease_owner = ?1, lease_expires = ?2, attempts = attempts + 1
		WHERE id = (SELECT id FROM jobs WHERE active = 1 AND (lease_owner = '' OR lease_expires < ?3)
			ORDER BY id LIMIT 1)
		RETURNING ` + sqltx.JobColumns,
	RenewLease: `UPDATE jobs SET lease_expires = ?1
		WHERE id = ?2 AND lease_owner = ?3 AND active = 1
		RETURNING ` + sqltx.JobColumns,
	Save: `UPDATE jobs SET state = ?1, active = ?2,
		processed = ?3, failed = ?4, total = ?5, skipped = ?6, bytes = ?7, result = ?8, message = ?9, cursor = ?10,
		completed_at = ?11, lease_owner = ?12, lease_expires = ?13
		WHERE id = ?14 AND lease_owner = ?15 AND active = 1`,
	Exists: `SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?1)`,
	CancelFree: `UPDATE jobs SET state = 'CANCELLED', active = NULL, cancel_requested = 1,
		completed_at = ?1, lease_owner = '', lease_expires = 0
		WHERE id = ?2 AND active = 1 AND (lease_owner = '' OR lease_expires < ?1)
		RETURNING ` + sqltx.JobColumns,
	RequestCancel: `UPDATE jobs SET cancel_requested = 1 WHERE id = ?1 AND active = 1 RETURNING ` + sqltx.JobColumns,
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
	args = append(args, t.JobStatsArgs(j)...)
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
