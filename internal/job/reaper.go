package job

import (
	"context"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// reapEvery is how often finished jobs past their retention are removed.
const reapEvery = time.Hour

// reap removes jobs that ended more than Retention ago, at start and then
// hourly, until ctx ends.
func (e *Engine) reap(ctx context.Context) {
	t := time.NewTicker(reapEvery)
	defer t.Stop()
	for {
		e.reapOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Engine) reapOnce(ctx context.Context) {
	var n int
	err := e.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		n, err = tx.DeleteJobsBefore(e.now().Add(-e.cfg.Retention))
		return err
	})
	switch {
	case err != nil && ctx.Err() == nil:
		e.cfg.Logger.Warn("remove old jobs", "err", err)
	case n > 0:
		e.cfg.Logger.Info("removed old jobs", "count", n)
	}
	e.signal(SignalReaped, 0)
}
