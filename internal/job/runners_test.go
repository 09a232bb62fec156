package job

import (
	"context"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// funcRunner is a test runner of any known type that runs fn and takes no
// parameters of its own.
type funcRunner struct {
	typ string
	fn  func(ctx context.Context, r *Run) error
}

func (f funcRunner) Type() string { return f.typ }

func (f funcRunner) Validate(params map[string]string) error {
	for k := range params {
		return UnknownParam(f.typ, k)
	}
	return nil
}

func (f funcRunner) Run(ctx context.Context, r *Run) error { return f.fn(ctx, r) }

// looping checkpoints one processed object every few milliseconds until
// told to stop: a job that never ends on its own.
func looping(typ string) funcRunner {
	return funcRunner{typ: typ, fn: func(ctx context.Context, r *Run) error {
		for {
			err := r.Checkpoint(ctx, Checkpoint{State: meta.JobProcessing, Delta: meta.JobStats{Processed: 1}})
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
	return funcRunner{typ: typ, fn: func(ctx context.Context, r *Run) error {
		for range n {
			err := r.Checkpoint(ctx, Checkpoint{State: meta.JobProcessing, Delta: meta.JobStats{Processed: 1}})
			if err != nil {
				return err
			}
		}
		<-ctx.Done()
		return ctx.Err()
	}}
}
