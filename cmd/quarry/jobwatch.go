package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
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
// final status: a summary, or the status object with jsonOut. A job that
// ends FAILED or CANCELLED is an *exitError with exit status 2.
func watchJob(ctx context.Context, c *mapiclient.Client, id int32, w io.Writer, jsonOut bool) error {
	var view progressView
	width := func() int { return plainWidth }
	switch {
	case jsonOut:
		view = nil // one JSON document only: no progress
	case isTerminal(w):
		width = func() int { return terminalWidth(w) }
		view = &barView{w: w, width: width}
	default:
		view = &lineView{w: w}
	}
	var meter rateMeter
	final, err := c.WatchJob(ctx, id, watchInterval, func(st *mapiclient.JobStatus) {
		if view != nil && !st.Terminal() {
			now := time.Now()
			view.show(newProgressInfo(st, &meter, now), now)
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
		// Wrapped to the width rather than left to the terminal, which
		// would break words; a line short of the width never wraps.
		_, err = fmt.Fprintln(w, wrapText(finalLine(final), width()-1))
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

// terminalWidth is the width of the terminal w, else $COLUMNS, else 80.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return max(cols, 20)
		}
	}
	if cols, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && cols > 0 {
		return max(cols, 20)
	}
	return plainWidth
}
