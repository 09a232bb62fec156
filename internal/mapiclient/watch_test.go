package mapiclient

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWatchJobPollsUntilTheJobEnds(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	f.states = []string{StateExamining, StateExecuting, StateExecuting, StateCancelled}
	var seen []string
	final, err := c.WatchJob(t.Context(), 17, time.Millisecond, func(st *JobStatus) { seen = append(seen, st.JobState) })
	if err != nil {
		t.Fatalf("WatchJob: %v", err)
	}
	if final.JobState != StateCancelled || !final.Terminal() {
		t.Errorf("final state = %s, want CANCELLED", final.JobState)
	}
	if len(seen) != 4 || seen[0] != StateExamining || seen[3] != StateCancelled {
		t.Errorf("statuses seen = %v, want the four answers in order", seen)
	}
}

func TestWatchJobStopsWhenItsContextEnds(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := c.WatchJob(ctx, 17, 5*time.Millisecond, nil) // the fake job never ends
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WatchJob: %v, want context.DeadlineExceeded", err)
	}
}
