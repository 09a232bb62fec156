package job

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// finalWriteTimeout bounds the write that ends or releases a job, which
// must happen even while the engine's context is ending.
const finalWriteTimeout = 10 * time.Second

var (
	// errRunEnded stops a run's helpers once its runner has returned.
	errRunEnded = errors.New("job run ended")
	// errInternal is what a job's message says after a runner panicked:
	// the panic's details go to the log, not to users.
	errInternal = errors.New("internal error")
)

// work is one worker: it claims a job, runs it until it ends or the engine
// stops, and looks for the next; idle, it waits for a wake or a poll.
func (e *Engine) work(ctx context.Context) {
	for ctx.Err() == nil {
		j, err := e.claim(ctx)
		switch {
		case err == nil:
			// More jobs may be waiting: let an idle peer look too.
			e.wakeWorker()
			e.execute(ctx, j)
			continue
		case errors.Is(err, meta.ErrNotFound), ctx.Err() != nil:
		default:
			e.cfg.Logger.Warn("claim job", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-e.wake:
		case <-time.After(e.cfg.Poll):
		}
	}
}

// claim takes the oldest job no live engine holds; meta.ErrNotFound when
// there is none.
func (e *Engine) claim(ctx context.Context) (*meta.Job, error) {
	now := e.now()
	var j *meta.Job
	err := e.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		j, err = tx.ClaimJob(e.cfg.InstanceID, now, now.Add(e.cfg.Lease))
		return err
	})
	return j, err
}

// execute runs a claimed job under its lease and records how it ended.
func (e *Engine) execute(ctx context.Context, j *meta.Job) {
	e.signal(SignalClaimed, j.ID)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(errRunEnded)
	r := &Run{e: e, id: j.ID, jobType: j.Type, job: *j, cancel: cancel,
		cause: func() error { return context.Cause(runCtx) }}

	runner, ok := e.runners[j.Type]
	switch {
	case !ok:
		// Another build created it; this one cannot run it.
		e.finish(ctx, r, meta.JobFailed, fmt.Sprintf("job type %s is not supported by this server", j.Type))
		return
	case j.CancelRequested:
		// Cancelled while its previous holder died.
		e.finish(ctx, r, meta.JobCancelled, "")
		return
	}

	e.hold(r)
	defer e.unhold(j.ID)
	keeperDone := make(chan struct{})
	go func() {
		defer close(keeperDone)
		e.keepLease(runCtx, r)
	}()
	err := runSafely(runCtx, runner, r)
	cause := context.Cause(runCtx)
	cancel(errRunEnded)
	<-keeperDone
	e.conclude(ctx, r, err, cause)
}

// runSafely runs the runner, turning a panic into errInternal.
func runSafely(ctx context.Context, runner Runner, r *Run) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.Logger().Error("job runner panicked", "panic", v, "stack", string(debug.Stack()))
			err = errInternal
		}
	}()
	return runner.Run(ctx, r)
}

// conclude records how a run ended: err is what the runner returned,
// cause why its context ended (nil if it had not).
func (e *Engine) conclude(ctx context.Context, r *Run, err, cause error) {
	switch {
	case err == nil:
		e.finish(ctx, r, meta.JobComplete, "")
	case errors.Is(err, ErrCancelled), errors.Is(cause, ErrCancelled):
		e.finish(ctx, r, meta.JobCancelled, "")
	case errors.Is(err, meta.ErrLeaseLost), errors.Is(cause, meta.ErrLeaseLost):
		// Another engine runs the job now; it is its to end.
		r.Logger().Warn("job lease lost; another engine took the job over")
	case ctx.Err() != nil:
		// The engine is stopping: the job resumes from its last
		// checkpoint, here or elsewhere.
		if e.releaseOnStop() {
			e.release(ctx, r)
		}
	default:
		e.finish(ctx, r, meta.JobFailed, err.Error())
	}
}

// finish ends the job in a terminal state, keeping the stats, cursor and
// result of its last checkpoint, and releases it. See conclusion for how
// a pending cancel and the counters decide the end.
func (e *Engine) finish(ctx context.Context, r *Run, state meta.JobState, message string) {
	var ended meta.JobState
	err := e.letGo(ctx, r.id, func(j *meta.Job) {
		ended = conclusion(j, state, message)
		j.CompletedAt = e.now()
	})
	if err != nil {
		r.Logger().Error("end job", "state", state, "err", err)
		return
	}
	if ended == meta.JobFailed {
		r.Logger().Warn("job failed", "message", message)
	}
	e.signal(SignalFinished, r.id)
}

// conclusion sets the terminal state and message of j, as stored by its
// last checkpoint, and returns the state. It runs in the transaction that
// ends the job, so it sees every cancel committed before:
//
//   - A job with a cancel pending ends CANCELLED, whatever its runner
//     returned: a cancel that was answered 200 is never followed by
//     COMPLETE. The stats stay those the job reached.
//   - A job that ends COMPLETE has processed + failed + skipped == total.
//     Candidates counted when the job examined the bucket but deleted or
//     replaced before the scan reached them needed no action: they are
//     counted as skipped, and the message says how many.
//   - A COMPLETE job keeps the message its checkpoints set; a FAILED one
//     says why it failed.
func conclusion(j *meta.Job, state meta.JobState, message string) meta.JobState {
	if j.CancelRequested && state != meta.JobCancelled {
		if state == meta.JobFailed {
			message = "cancelled; the job had also failed: " + message
		} else {
			message = ""
		}
		state = meta.JobCancelled
	}
	j.State = state
	switch state {
	case meta.JobComplete:
		if gone := j.Stats.Total - handled(j.Stats); gone > 0 {
			j.Stats.Skipped += gone
			j.Message = joinMessage(j.Message, fmt.Sprintf(
				"%d candidate(s) found when the job examined the bucket were deleted or replaced before it reached them (counted as skipped)", gone))
		}
	case meta.JobCancelled:
		if message != "" {
			j.Message = message
		}
	default:
		j.Message = message
	}
	return state
}

// joinMessage appends b to a as a new sentence.
func joinMessage(a, b string) string {
	if a == "" {
		return b
	}
	return strings.TrimRight(a, ". ") + ". " + b
}

// release lets go of the job's lease without changing its progress, so
// that another engine can take it over at once.
func (e *Engine) release(ctx context.Context, r *Run) {
	if err := e.letGo(ctx, r.id, func(*meta.Job) {}); err != nil {
		r.Logger().Warn("release job lease", "err", err)
		return
	}
	e.signal(SignalReleased, r.id)
}

// letGo applies change to the job as stored and clears its lease, under
// this engine's lease. It starts from the stored row rather than the run's
// copy so that whatever the last checkpoint committed is kept exactly, and
// it uses a context that outlives ctx's end, bounded by finalWriteTimeout.
// A job that change ends is recorded in the event log in the same
// transaction, so the event says exactly how the job ended.
func (e *Engine) letGo(ctx context.Context, id int32, change func(*meta.Job)) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalWriteTimeout)
	defer cancel()
	return e.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		j, err := tx.GetJob(id)
		if err != nil {
			return err
		}
		change(j)
		j.LeaseOwner = ""
		j.LeaseExpires = time.Time{}
		if err := tx.SaveJob(j, e.cfg.InstanceID); err != nil {
			return err
		}
		if !j.State.Terminal() {
			return nil
		}
		return events.Append(tx, endedEvent(j, events.Actor{}, e.now()))
	})
}
