package job

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Cancel waits this long for a cancelled job to stop, polling every
// cancelWaitPoll, before answering with the job as stored.
const (
	cancelWait     = 3 * time.Second
	cancelWaitPoll = 50 * time.Millisecond
)

// Create validates the request and stores a new EXAMINING job; it is
// durable when Create returns. A worker (here or in another process
// sharing the store) then runs it.
func (e *Engine) Create(ctx context.Context, p auth.Principal, jobType, bucket string, params map[string]string) (*meta.Job, error) {
	runner, err := e.runnerFor(jobType)
	if err != nil {
		return nil, err
	}
	params = cloneParams(params)
	own, err := splitParams(params)
	if err != nil {
		return nil, err
	}
	if err := runner.Validate(own); err != nil {
		return nil, err
	}
	b, err := e.cfg.Objects.HeadBucket(ctx, p, bucket)
	if err != nil {
		return nil, fmt.Errorf("create %s job on %s: %w", jobType, bucket, err)
	}
	if bc, ok := runner.(BucketChecker); ok {
		if err := bc.CheckBucket(b, own); err != nil {
			return nil, err
		}
	}
	j := &meta.Job{
		Type:      jobType,
		Bucket:    b.Name,
		OwnerID:   b.OwnerID,
		UserID:    p.UserID,
		Params:    params,
		State:     meta.JobExamining,
		CreatedAt: e.now(),
	}
	err = e.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		if err := tx.CreateJob(j); err != nil {
			return err
		}
		return events.Append(tx, jobEvent(events.JobCreated, j, p.Actor(), j.CreatedAt, "created by "+p.Username))
	})
	if err != nil {
		return nil, fmt.Errorf("create %s job on %s: %w", jobType, bucket, err)
	}
	e.wakeWorker()
	return j, nil
}

// BucketChecker is implemented by runners some of whose parameters can only
// be checked against the bucket's configuration (a replication destination,
// say): Create calls it, so such a mistake is refused at once instead of
// becoming a job that ends FAILED. Errors wrap ErrInvalidParams.
type BucketChecker interface {
	CheckBucket(b *meta.Bucket, params map[string]string) error
}

// Get returns the job if p may see it.
func (e *Engine) Get(ctx context.Context, p auth.Principal, id int32) (*meta.Job, error) {
	return e.visible(ctx, p, id)
}

// visible loads job id: ErrNotFound when absent and, alike, when it is on
// a bucket p does not own (and p is no admin), so that a job's existence
// tells nothing about other tenants' buckets.
func (e *Engine) visible(ctx context.Context, p auth.Principal, id int32) (*meta.Job, error) {
	j, err := e.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.CanUse(j.OwnerID) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	return j, nil
}

func (e *Engine) load(ctx context.Context, id int32) (*meta.Job, error) {
	var j *meta.Job
	err := e.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		j, err = tx.GetJob(id)
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read job %d: %w", id, err)
	}
	return j, nil
}

// List returns a page of jobs, newest first. A non-admin sees only jobs on
// buckets it owns. PageSize above MaxPageSize is clamped.
func (e *Engine) List(ctx context.Context, p auth.Principal, f ListFilter) ([]meta.Job, string, error) {
	size, err := pageSize(f.PageSize)
	if err != nil {
		return nil, "", err
	}
	before, err := decodeToken(f.Token)
	if err != nil {
		return nil, "", err
	}
	if before > math.MaxInt32 {
		return nil, "", fmt.Errorf("%w: malformed pageToken", ErrInvalidParams)
	}
	if f.Type != "" && !IsType(f.Type) {
		return nil, "", fmt.Errorf("%w: %q", ErrUnknownType, f.Type)
	}
	if f.State != "" && !f.State.Valid() {
		return nil, "", fmt.Errorf("%w: unknown jobState %q", ErrInvalidParams, f.State)
	}
	filter := meta.JobFilter{
		Bucket:   f.Bucket,
		UserID:   f.UserID,
		Type:     f.Type,
		State:    f.State,
		BeforeID: int32(before),
		Limit:    size + 1, // one more tells whether a next page exists
	}
	if !p.Admin() {
		filter.OwnerID = p.UserID
	}
	var jobs []meta.Job
	err = e.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		jobs, err = tx.ListJobs(filter)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	if len(jobs) <= size {
		return jobs, "", nil
	}
	jobs = jobs[:size]
	return jobs, encodeToken(int64(jobs[size-1].ID)), nil
}

// Cancel stops a job: at once if no engine holds it, otherwise by asking
// its holder, whom it waits for (up to cancelWait). It returns the job as
// stored then. Cancelling a CANCELLED job returns it; a COMPLETE or FAILED
// one gives ErrEnded.
func (e *Engine) Cancel(ctx context.Context, p auth.Principal, id int32) (*meta.Job, error) {
	j, err := e.visible(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if done, err := cancelOutcome(j); done {
		return j, err
	}
	err = e.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		before, err := tx.GetJob(id)
		if err != nil {
			return err
		}
		now := e.now()
		if j, err = tx.CancelJob(id, now); err != nil {
			return err
		}
		return recordCancel(tx, before, j, p, now)
	})
	if err != nil {
		return nil, fmt.Errorf("cancel job %d: %w", id, err)
	}
	if done, err := cancelOutcome(j); done {
		return j, err
	}
	e.cancelLocal(id)
	return e.awaitEnd(ctx, j)
}

// recordCancel records what a cancel by p did to the job: ended it at once
// (no engine held it), or asked its engine to stop it. A cancel that found
// the job already ended or already asked to stop changed nothing and is
// not recorded.
func recordCancel(tx meta.Tx, before, after *meta.Job, p auth.Principal, now time.Time) error {
	switch {
	case before.State.Terminal():
		return nil
	case after.State == meta.JobCancelled:
		return events.Append(tx, endedEvent(after, p.Actor(), now))
	case after.CancelRequested && !before.CancelRequested:
		return events.Append(tx, jobEvent(events.JobCancelRequested, after, p.Actor(), now, "cancel requested by "+p.Username))
	}
	return nil
}

// cancelOutcome says whether a cancel of j is already decided: a
// CANCELLED job is the answer itself, an otherwise ended one is ErrEnded.
func cancelOutcome(j *meta.Job) (bool, error) {
	switch j.State {
	case meta.JobCancelled:
		return true, nil
	case meta.JobComplete, meta.JobFailed:
		return true, fmt.Errorf("job %d is %s: %w", j.ID, j.State, ErrEnded)
	}
	return false, nil
}

// awaitEnd polls job j until it reached a terminal state or cancelWait
// passed, and returns it as last read.
func (e *Engine) awaitEnd(ctx context.Context, j *meta.Job) (*meta.Job, error) {
	deadline := time.NewTimer(cancelWait)
	defer deadline.Stop()
	tick := time.NewTicker(cancelWaitPoll)
	defer tick.Stop()
	for !j.State.Terminal() {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return j, nil
		case <-tick.C:
		}
		next, err := e.load(ctx, j.ID)
		if err != nil {
			return nil, err
		}
		j = next
	}
	return j, nil
}

// Failures returns a page of the objects job id could not handle, oldest
// first.
func (e *Engine) Failures(ctx context.Context, p auth.Principal, id int32, size int, token string) ([]meta.JobFailure, string, error) {
	if _, err := e.visible(ctx, p, id); err != nil {
		return nil, "", err
	}
	size, err := pageSize(size)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeToken(token)
	if err != nil {
		return nil, "", err
	}
	var fs []meta.JobFailure
	err = e.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		var err error
		fs, err = tx.ListJobFailures(id, after, size+1)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list failures of job %d: %w", id, err)
	}
	if len(fs) <= size {
		return fs, "", nil
	}
	fs = fs[:size]
	return fs, encodeToken(fs[size-1].ID), nil
}
