package job

import (
	"context"
	"errors"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// cancelPoll is how often the cancel watcher looks for cancels requested
// by other processes; with it a cancel stops a job well within 2 seconds.
const cancelPoll = 250 * time.Millisecond

// keepLease renews r's lease every Lease/3 until ctx ends. A lost lease
// or a cancel seen in the stored job stops the run.
func (e *Engine) keepLease(ctx context.Context, r *Run) {
	t := time.NewTicker(e.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var stored *meta.Job
		err := e.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
			var err error
			stored, err = tx.RenewLease(r.id, e.cfg.InstanceID, e.now().Add(e.cfg.Lease))
			return err
		})
		switch {
		case errors.Is(err, meta.ErrLeaseLost):
			r.cancel(meta.ErrLeaseLost)
			return
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			// A passing store error: the next tick tries again, and a
			// checkpoint would notice if the lease really lapsed.
			e.cfg.Logger.Warn("renew job lease", "job", r.id, "err", err)
			continue
		}
		e.signal(SignalRenewed, r.id)
		if stored.CancelRequested {
			r.cancel(ErrCancelled)
		}
	}
}

// watchCancels polls the jobs held here for cancels requested through
// another process (in-process cancels signal the run directly), and for
// leases another engine took over.
func (e *Engine) watchCancels(ctx context.Context) {
	t := time.NewTicker(cancelPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := e.checkHeld(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Warn("watch job cancels", "err", err)
		}
	}
}

// checkHeld reads every held job once and stops the runs that must stop.
func (e *Engine) checkHeld(ctx context.Context) error {
	held := e.heldRuns()
	if len(held) == 0 {
		return nil
	}
	return e.cfg.Meta.View(ctx, func(tx meta.Tx) error {
		for id, r := range held {
			j, err := tx.GetJob(id)
			switch {
			case errors.Is(err, meta.ErrNotFound):
				r.cancel(meta.ErrLeaseLost)
			case err != nil:
				return err
			case j.CancelRequested:
				r.cancel(ErrCancelled)
			case j.LeaseOwner != e.cfg.InstanceID:
				r.cancel(meta.ErrLeaseLost)
			}
		}
		return nil
	})
}

// hold records that this engine runs r; unhold forgets it.
func (e *Engine) hold(r *Run) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.held[r.id] = r
}

func (e *Engine) unhold(id int32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.held, id)
}

// heldRuns is a snapshot of the runs held here.
func (e *Engine) heldRuns() map[int32]*Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[int32]*Run, len(e.held))
	for id, r := range e.held {
		out[id] = r
	}
	return out
}

// cancelLocal stops the run of job id at once if this engine holds it.
func (e *Engine) cancelLocal(id int32) {
	e.mu.Lock()
	r := e.held[id]
	e.mu.Unlock()
	if r != nil {
		r.cancel(ErrCancelled)
	}
}
