package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// ErrCancelled is returned by Checkpoint once the job has been asked to
// stop by a cancel; the runner returns it (or any error: the engine knows)
// and the job ends CANCELLED with the stats of its last checkpoint.
var ErrCancelled = errors.New("job cancelled")

// Checkpoint is one step of a job's progress, committed atomically: the
// batch's own changes, its failures, its stats and where to resume either
// all commit or none do.
type Checkpoint struct {
	// State is the job's state from now on; empty keeps it.
	State meta.JobState
	// Cursor is where a resumed run starts; nil keeps it.
	Cursor []byte
	// Delta is added to the stored stats.
	Delta meta.JobStats
	// Failures are the objects of this batch the job could not handle.
	Failures []meta.JobFailure
	// Result, the type's outcome fields (a JSON object); nil keeps it.
	Result []byte
	// Message, when not empty, becomes the job's message: what a person
	// should know about the outcome (why nothing was found to do, say).
	Message string
	// Apply, if set, runs first in the checkpoint's transaction: the
	// batch's own metadata changes. It may amend the checkpoint from what
	// it read (cp is the one about to be written), e.g. to set a Result
	// that must agree with the changes. An error rolls everything back.
	Apply func(tx meta.Tx, cp *Checkpoint) error
	// AfterCommit, if set, runs once the checkpoint committed: for the
	// background work its changes need (object.Change.Committed). Apply
	// may set it on the checkpoint it is given.
	AfterCommit func()
}

// Run is a runner's handle on the job it runs: the job as of its last
// checkpoint, the stores, and Checkpoint.
type Run struct {
	e *Engine
	// id and jobType never change; other goroutines (lease keeper, cancel
	// watcher) read them, never job.
	id      int32
	jobType string
	// job is the job as stored by the last checkpoint this run committed.
	// Only the worker goroutine running the job reads or writes it.
	job meta.Job
	// cancel stops the run's context with a cause: ErrCancelled,
	// meta.ErrLeaseLost, or errRunEnded once the runner returned.
	cancel context.CancelCauseFunc
	// cause reports why the run's context ended (nil while it runs).
	cause func() error
}

// Job returns a copy of the job as of the last checkpoint: parameters,
// state, cursor, stats and result.
func (r *Run) Job() meta.Job {
	j := r.job
	j.Params = maps.Clone(r.job.Params)
	j.Cursor = slices.Clone(r.job.Cursor)
	j.Result = slices.Clone(r.job.Result)
	return j
}

// Meta is the metadata store the job works on.
func (r *Run) Meta() meta.Store { return r.e.cfg.Meta }

// Objects is the object service: jobs that change objects open an
// object.Change on their checkpoint's transaction (Objects().Begin).
func (r *Run) Objects() *object.Service { return r.e.cfg.Objects }

// Blobs is the blob store holding object data.
func (r *Run) Blobs() blob.Store { return r.e.cfg.Blobs }

// Now is the engine's clock, in UTC.
func (r *Run) Now() time.Time { return r.e.now() }

// Logger logs with the job's id and type.
func (r *Run) Logger() *slog.Logger {
	return r.e.cfg.Logger.With("job", r.id, "jobType", r.jobType)
}

// Checkpoint commits cp in one metadata transaction that also asserts this
// engine's lease (meta.ErrLeaseLost rolls the batch back) and renews it.
// Once committed, it returns ErrCancelled if the job was asked to stop.
func (r *Run) Checkpoint(ctx context.Context, cp Checkpoint) error {
	var (
		next            meta.Job
		written         Checkpoint
		cancelRequested bool
	)
	err := r.e.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		// Renewing the lease first locks the job's row before the batch
		// runs: a lease renewal or a cancel from another transaction then
		// waits for this one instead of making a long batch fail its
		// commit, over and over, on a store that detects write conflicts
		// (PostgreSQL's serialisation failures).
		now := r.e.now()
		if _, err := tx.RenewLease(r.id, r.e.cfg.InstanceID, now.Add(r.e.cfg.Lease)); err != nil {
			return err
		}
		c := cp
		c.Failures = slices.Clone(cp.Failures)
		if c.Apply != nil {
			if err := c.Apply(tx, &c); err != nil {
				return err
			}
		}
		now = r.e.now()
		for _, f := range c.Failures {
			f.JobID = r.id
			if f.Time.IsZero() {
				f.Time = now
			}
			if err := tx.AddJobFailure(&f); err != nil {
				return fmt.Errorf("record failure of %s: %w", f.Key, err)
			}
		}
		next = advance(r.job, c)
		next.LeaseOwner = r.e.cfg.InstanceID
		next.LeaseExpires = now.Add(r.e.cfg.Lease)
		if err := tx.SaveJob(&next, r.e.cfg.InstanceID); err != nil {
			return err
		}
		stored, err := tx.GetJob(r.id)
		if err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		cancelRequested = stored.CancelRequested
		written = c
		return nil
	})
	if err != nil {
		return fmt.Errorf("checkpoint job %d: %w", r.id, err)
	}
	r.job = next
	if written.AfterCommit != nil {
		written.AfterCommit()
	}
	if r.e.cfg.OnProgress != nil {
		r.e.cfg.OnProgress(r.jobType, written.Delta.Processed, written.Delta.Failed)
	}
	r.e.signal(SignalCheckpoint, r.id)
	if cancelRequested || errors.Is(r.cause(), ErrCancelled) {
		return ErrCancelled
	}
	return nil
}

// advance returns j with the checkpoint's state, cursor, stats and result.
func advance(j meta.Job, c Checkpoint) meta.Job {
	if c.State != "" {
		j.State = c.State
	}
	if c.Cursor != nil {
		j.Cursor = slices.Clone(c.Cursor)
	}
	if c.Result != nil {
		j.Result = slices.Clone(c.Result)
	}
	if c.Message != "" {
		j.Message = c.Message
	}
	j.Stats.Processed += c.Delta.Processed
	j.Stats.Failed += c.Delta.Failed
	j.Stats.Total += c.Delta.Total
	j.Stats.Skipped += c.Delta.Skipped
	j.Stats.Bytes += c.Delta.Bytes
	// Candidates that appeared after the job counted them (objects written
	// meanwhile) are found as the scan reaches them: total grows to match,
	// so it never falls below what has been handled.
	j.Stats.Total = max(j.Stats.Total, handled(j.Stats))
	return j
}

// handled is how many candidates a job has dealt with, one way or another.
func handled(s meta.JobStats) int64 { return s.Processed + s.Failed + s.Skipped }
