package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

// watchInterval is how often watch asks for the job's status.
const watchInterval = 500 * time.Millisecond

// exitJobNotComplete is the exit status of watch (and create --wait) when
// the job ended FAILED or CANCELLED.
const exitJobNotComplete = 2

// watchJob shows the job's progress on w until it ends, then prints its
// final status: a summary line, or the status object with jsonOut. A job
// that ends FAILED or CANCELLED is an *exitError with exit status 2.
func watchJob(ctx context.Context, c *mapiclient.Client, id int32, w io.Writer, jsonOut bool) error {
	var view progressView
	switch {
	case jsonOut:
		view = nil // one JSON document only: no progress
	case isTerminal(w):
		view = newBarView(w)
	default:
		view = &lineView{w: w}
	}
	var meter rateMeter
	final, err := c.WatchJob(ctx, id, watchInterval, func(st *mapiclient.JobStatus) {
		now := time.Now()
		meter.add(now, st.JobStats.Processed+st.JobStats.Failed, st.JobStats.Bytes)
		if view != nil && !st.Terminal() {
			view.show(newProgressInfo(st, &meter), now)
		}
	})
	if view != nil {
		view.close()
	}
	if err != nil {
		return err
	}
	if jsonOut {
		err = printJSON(w, final)
	} else {
		_, err = fmt.Fprintln(w, finalLine(final))
	}
	if err != nil {
		return err
	}
	if final.JobState != mapiclient.StateComplete {
		return &exitError{code: exitJobNotComplete, err: fmt.Errorf("job %d ended %s", final.JobID.ID, final.JobState)}
	}
	return nil
}

// isTerminal reports whether w is a terminal (where a bar can be redrawn).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
