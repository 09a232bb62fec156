package sqltx

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// JobColumns are the columns of jobs in the order scanJob reads them.
const JobColumns = `id, type, bucket, owner_id, user_id, params, state,
		processed, failed, total, skipped, bytes, result, message, cursor,
		cancel_requested, created_at, completed_at, lease_owner, lease_expires, attempts`

// JobQueries are the statements of jobs and their leases. CreateJob is the
// store's own: how it draws job ids differs.
//
// A lease is free when no engine holds it (lease_owner empty) or when it
// expired strictly before now. Every statement that changes a held job
// names its owner and requires the job active, so an engine whose lease was
// taken over, or whose job was ended, changes nothing.
type JobQueries struct {
	// Get (id) selects JobColumns.
	Get string
	// List, ListByBucket, ListByOwner and ListByState (beforeID, bucket,
	// ownerID, userID, type, state, limit) select JobColumns newest first,
	// a zero filter matching every job; each of the last three serves a
	// set filter of its name, to walk its index.
	List, ListByBucket, ListByOwner, ListByState string
	// Claim (owner, until, now) takes the lease of the oldest active job
	// whose lease is free, RETURNING JobColumns.
	Claim string
	// RenewLease (until, id, owner) RETURNING JobColumns.
	RenewLease string
	// Save (state, active, the JobStatsArgs, completed_at, lease_owner,
	// lease_expires, id, owner); active is NULL once the job is terminal.
	Save string
	// Exists (id) selects whether the job exists, as a boolean.
	Exists string
	// CancelFree (now, id) ends an active job whose lease is free, and
	// RequestCancel (id) flags an active one, both RETURNING JobColumns.
	CancelFree, RequestCancel string
}

// JobStatsArgs are the arguments for the job columns from processed to
// cursor, for Save and the store's CreateJob.
func (t *Tx) JobStatsArgs(j *meta.Job) []any {
	return []any{j.Stats.Processed, j.Stats.Failed, j.Stats.Total, j.Stats.Skipped, j.Stats.Bytes,
		j.Result, t.freeText(j.Message), j.Cursor}
}

func (t *Tx) GetJob(id int32) (*meta.Job, error) {
	j, err := scanJob(t.c.QueryRow(t.d.Job.Get, id))
	if err != nil {
		return nil, fmt.Errorf("get job %d: %w", id, t.c.Classify(err))
	}
	return j, nil
}

func (t *Tx) ListJobs(f meta.JobFilter) ([]meta.Job, error) {
	if t.noText("list jobs", f.Bucket, f.Type, string(f.State)) != nil {
		return nil, nil // no job has such a bucket, type or state
	}
	q := &t.d.Job
	query := q.List
	switch {
	case f.Bucket != "":
		query = q.ListByBucket
	case f.OwnerID != 0:
		query = q.ListByOwner
	case f.State != "":
		query = q.ListByState
	}
	before := int64(f.BeforeID)
	if before <= 0 {
		before = math.MaxInt32 + 1
	}
	jobs, err := queryAll(t.c, scanJob, query, before, f.Bucket, f.OwnerID, f.UserID, f.Type, string(f.State), limit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

func (t *Tx) ClaimJob(owner string, now, until time.Time) (*meta.Job, error) {
	if owner == "" {
		return nil, errors.New("claim job: an engine needs a non-empty owner name")
	}
	j, err := scanJob(t.c.QueryRow(t.d.Job.Claim, owner, metasql.Nanos(until), metasql.Nanos(now)))
	if err != nil {
		return nil, fmt.Errorf("claim job for %s: %w", owner, t.c.Classify(err))
	}
	return j, nil
}

func (t *Tx) RenewLease(id int32, owner string, until time.Time) (*meta.Job, error) {
	if owner == "" {
		// An empty owner would match every job no engine holds.
		return nil, fmt.Errorf("renew lease of job %d: %w", id, meta.ErrLeaseLost)
	}
	j, err := scanJob(t.c.QueryRow(t.d.Job.RenewLease, metasql.Nanos(until), id, owner))
	if err != nil {
		return nil, fmt.Errorf("renew lease of job %d for %s: %w", id, owner, t.leaseError(id, t.c.Classify(err)))
	}
	return j, nil
}

func (t *Tx) SaveJob(j *meta.Job, owner string) error {
	if !j.State.Valid() {
		return fmt.Errorf("save job %d: invalid state %q", j.ID, j.State)
	}
	if owner == "" {
		return fmt.Errorf("save job %d: %w", j.ID, meta.ErrLeaseLost)
	}
	// A terminal job leaves the one-active-job rule and the claim queue,
	// and no engine holds it any more.
	var active any = true // NULL once terminal
	leaseOwner, leaseExpires := j.LeaseOwner, metasql.Nanos(j.LeaseExpires)
	if j.State.Terminal() {
		active, leaseOwner, leaseExpires = nil, "", 0
	}
	args := []any{string(j.State), active}
	args = append(args, t.JobStatsArgs(j)...)
	args = append(args, metasql.Nanos(j.CompletedAt), leaseOwner, leaseExpires, j.ID, owner)
	found, err := t.execOne(t.d.Job.Save, args...)
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
func (t *Tx) leaseError(id int32, err error) error {
	if !errors.Is(err, meta.ErrNotFound) {
		return err
	}
	var exists bool
	if err := t.c.QueryRow(t.d.Job.Exists, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return meta.ErrNotFound
	}
	return meta.ErrLeaseLost
}

// CancelJob tries each case in turn: end a free job, else flag a held one;
// a job matching neither is terminal or missing.
func (t *Tx) CancelJob(id int32, now time.Time) (*meta.Job, error) {
	j, err := scanJob(t.c.QueryRow(t.d.Job.CancelFree, metasql.Nanos(now), id))
	if err == nil {
		return j, nil
	}
	if err = t.c.Classify(err); !errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("cancel job %d: %w", id, err)
	}
	j, err = scanJob(t.c.QueryRow(t.d.Job.RequestCancel, id))
	if err == nil {
		return j, nil
	}
	if err = t.c.Classify(err); !errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("cancel job %d: request: %w", id, err)
	}
	// Neither matched: the job ended already (returned as is) or is absent.
	return t.GetJob(id)
}

func scanJob(r Row) (*meta.Job, error) {
	var (
		j                             meta.Job
		params                        sql.NullString
		state                         string
		created, completed, leaseExpr int64
	)
	err := r.Scan(&j.ID, &j.Type, &j.Bucket, &j.OwnerID, &j.UserID, &params, &state,
		&j.Stats.Processed, &j.Stats.Failed, &j.Stats.Total, &j.Stats.Skipped, &j.Stats.Bytes,
		&j.Result, &j.Message, &j.Cursor,
		&j.CancelRequested, &created, &completed, &j.LeaseOwner, &leaseExpr, &j.Attempts)
	if err != nil {
		return nil, err
	}
	j.State = meta.JobState(state)
	j.CreatedAt = metasql.Time(created)
	j.CompletedAt = metasql.Time(completed)
	j.LeaseExpires = metasql.Time(leaseExpr)
	if j.Params, err = metasql.DecodeMap(params); err != nil {
		return nil, fmt.Errorf("job %d params: %w", j.ID, err)
	}
	return &j, nil
}
