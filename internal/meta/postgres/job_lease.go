package postgres

import (
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// A lease is free when no engine holds it (lease_owner empty) or when it
// expired strictly before now. Every statement that changes a held job
// names its owner and requires it active, so an engine whose lease was
// taken over, or whose job was ended, changes nothing.
const (
	// The candidate is locked FOR UPDATE SKIP LOCKED: a job another node is
	// claiming right now is passed over, not waited for, so nodes claiming
	// at once take different jobs. The UPDATE repeats the conditions, which
	// a claim committed since this transaction's snapshot may have changed.
	qClaimJob = `UPDATE jobs SET lease_owner = $1, lease_expires = $2, attempts = attempts + 1
		WHERE id = (SELECT id FROM jobs WHERE active AND (lease_owner = '' OR lease_expires < $3)
			ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
			AND active AND (lease_owner = '' OR lease_expires < $3)
		RETURNING ` + jobCols
	qRenewLease = `UPDATE jobs SET lease_expires = $1
		WHERE id = $2 AND lease_owner = $3 AND active
		RETURNING ` + jobCols
	qSaveJob = `UPDATE jobs SET state = $1, active = $2,
		processed = $3, failed = $4, total = $5, skipped = $6, bytes = $7, result = $8, message = $9, cursor = $10,
		completed_at = $11, lease_owner = $12, lease_expires = $13
		WHERE id = $14 AND lease_owner = $15 AND active`
	qJobExists = `SELECT EXISTS (SELECT 1 FROM jobs WHERE id = $1)`

	// CancelJob tries each case in turn: end a free job, else flag a held
	// one; a job matching neither is terminal or missing.
	qCancelFreeJob = `UPDATE jobs SET state = 'CANCELLED', active = NULL, cancel_requested = TRUE,
		completed_at = $1, lease_owner = '', lease_expires = 0
		WHERE id = $2 AND active AND (lease_owner = '' OR lease_expires < $1)
		RETURNING ` + jobCols
	qRequestCancel = `UPDATE jobs SET cancel_requested = TRUE WHERE id = $1 AND active RETURNING ` + jobCols
)

func (t *tx) ClaimJob(owner string, now, until time.Time) (*meta.Job, error) {
	if owner == "" {
		return nil, errors.New("claim job: an engine needs a non-empty owner name")
	}
	j, err := scanJob(t.queryRow(qClaimJob, owner, nanosOf(until), nanosOf(now)))
	if err != nil {
		return nil, fmt.Errorf("claim job for %s: %w", owner, classify(err))
	}
	return j, nil
}

func (t *tx) RenewLease(id int32, owner string, until time.Time) (*meta.Job, error) {
	if owner == "" {
		// An empty owner would match every job no engine holds.
		return nil, fmt.Errorf("renew lease of job %d: %w", id, meta.ErrLeaseLost)
	}
	j, err := scanJob(t.queryRow(qRenewLease, nanosOf(until), id, owner))
	if err != nil {
		return nil, fmt.Errorf("renew lease of job %d for %s: %w", id, owner, t.leaseError(id, classify(err)))
	}
	return j, nil
}

func (t *tx) SaveJob(j *meta.Job, owner string) error {
	if !j.State.Valid() {
		return fmt.Errorf("save job %d: invalid state %q", j.ID, j.State)
	}
	if owner == "" {
		return fmt.Errorf("save job %d: %w", j.ID, meta.ErrLeaseLost)
	}
	// A terminal job leaves the one-active-job rule and the claim queue,
	// and no engine holds it any more.
	var active any = true // NULL once terminal
	leaseOwner, leaseExpires := j.LeaseOwner, nanosOf(j.LeaseExpires)
	if j.State.Terminal() {
		active, leaseOwner, leaseExpires = nil, "", 0
	}
	args := []any{string(j.State), active}
	args = append(args, jobStatsArgs(j)...)
	args = append(args, nanosOf(j.CompletedAt), leaseOwner, leaseExpires, j.ID, owner)
	found, err := t.execOne(qSaveJob, args...)
	if err != nil {
		return fmt.Errorf("save job %d: %w", j.ID, err)
	}
	if !found {
		return fmt.Errorf("save job %d for %s: %w", j.ID, owner, t.leaseError(j.ID, meta.ErrNotFound))
	}
	return nil
}

// leaseError turns a lease statement that matched no row into ErrNotFound
// when the job does not exist and ErrLeaseLost when it does (held by
// another engine, or ended). Other errors pass through.
func (t *tx) leaseError(id int32, err error) error {
	if !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	var exists bool
	if err := t.queryRow(qJobExists, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return meta.ErrNotFound
	}
	return meta.ErrLeaseLost
}

func (t *tx) CancelJob(id int32, now time.Time) (*meta.Job, error) {
	j, err := scanJob(t.queryRow(qCancelFreeJob, nanosOf(now), id))
	if err == nil {
		return j, nil
	}
	if err = classify(err); !errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("cancel job %d: %w", id, err)
	}
	j, err = scanJob(t.queryRow(qRequestCancel, id))
	if err == nil {
		return j, nil
	}
	if err = classify(err); !errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("cancel job %d: request: %w", id, err)
	}
	// Neither matched: the job ended already (returned as is) or is absent.
	return t.GetJob(id)
}
