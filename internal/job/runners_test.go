package job_test

import (
	"context"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

// funcRunner is a test runner of any known type that runs fn and takes no
// parameters of its own.
type funcRunner struct {
	typ string
	fn  func(ctx context.Context, r *job.Run) error
}

func (f funcRunner) Type() string { return f.typ }

func (f funcRunner) Validate(params map[string]string) error {
	for k := range params {
		return job.UnknownParam(f.typ, k)
	}
	return nil
}

func (f funcRunner) Run(ctx context.Context, r *job.Run) error { return f.fn(ctx, r) }

// looping checkpoints one processed object every few milliseconds until
// told to stop: a job that never ends on its own.
func looping(typ string) funcRunner {
	return funcRunner{typ: typ, fn: func(ctx context.Context, r *job.Run) error {
		for {
			err := r.Checkpoint(ctx, job.Checkpoint{State: meta.JobProcessing, Delta: meta.JobStats{Processed: 1}})
			if err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}}
}

// stalling checkpoints n processed objects, then waits for its context to
// end without checkpointing again: only a signal through ctx can stop it.
func stalling(typ string, n int) funcRunner {
	return funcRunner{typ: typ, fn: func(ctx context.Context, r *job.Run) error {
		for range n {
			err := r.Checkpoint(ctx, job.Checkpoint{State: meta.JobProcessing, Delta: meta.JobStats{Processed: 1}})
			if err != nil {
				return err
			}
		}
		<-ctx.Done()
		return ctx.Err()
	}}
}

// scanning is a runner that does what real runners do, in small steps: it
// counts the bucket's current objects while EXAMINING, then processes them
// a checkpointed page of 7 at a time, resuming after the last key its
// checkpoint committed.
func scanning(typ string) funcRunner {
	const page = 7
	list := func(ctx context.Context, r *job.Run, after string) ([]meta.Version, error) {
		var vs []meta.Version
		err := r.Meta().View(ctx, func(tx meta.Tx) error {
			var err error
			vs, err = tx.ListLatest(r.Job().Bucket, r.Job().Params[job.ParamPrefix], after, page)
			return err
		})
		return vs, err
	}
	return funcRunner{typ: typ, fn: func(ctx context.Context, r *job.Run) error {
		if r.Job().State == meta.JobExamining {
			var total int64
			for after := ""; ; {
				vs, err := list(ctx, r, after)
				if err != nil {
					return err
				}
				total += int64(len(vs))
				if len(vs) < page {
					break
				}
				after = vs[len(vs)-1].Key
			}
			if err := r.Checkpoint(ctx, job.Checkpoint{State: meta.JobProcessing, Delta: meta.JobStats{Total: total}}); err != nil {
				return err
			}
		}
		for {
			after := string(r.Job().Cursor)
			vs, err := list(ctx, r, after)
			if err != nil {
				return err
			}
			cp := job.Checkpoint{Delta: meta.JobStats{Processed: int64(len(vs))}}
			if len(vs) > 0 {
				cp.Cursor = []byte(vs[len(vs)-1].Key)
			}
			if err := r.Checkpoint(ctx, cp); err != nil || len(vs) < page {
				return err
			}
		}
	}}
}
