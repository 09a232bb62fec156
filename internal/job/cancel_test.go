package job_test

import (
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

// stopWithin is the MAPI's promise: a cancelled job stops this fast.
const stopWithin = 2 * time.Second

func TestCancelStopsARunningJobPromptlyAndKeepsItsStats(t *testing.T) {
	tests := []struct {
		name   string
		runner funcRunner
		// viaOtherEngine cancels through an engine that does not hold the
		// job, as another process would: the holder's watcher sees it.
		viaOtherEngine bool
	}{
		{"cancel in the engine that runs the job signals it at once", stalling(job.TypeTriggerReconciliation, 3), false},
		{"cancel through another engine is seen by the holder's watcher", stalling(job.TypeTriggerReconciliation, 3), true},
		{"a job that keeps checkpointing learns of the cancel from its checkpoint", looping(job.TypeTriggerReconciliation), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.Bucket(alice, "photos")
			e := h.Engine(nil, tt.runner)
			h.Start(e)
			j := h.Create(e, alice, job.TypeTriggerReconciliation, "photos", nil)
			h.Sig.Wait(t, job.SignalCheckpoint, j.ID, 3)

			canceller := e
			if tt.viaOtherEngine {
				canceller = h.Engine(nil, tt.runner)
			}
			began := time.Now()
			got, err := canceller.Cancel(h.Ctx, alice, j.ID)
			if err != nil {
				t.Fatalf("cancel: %v", err)
			}
			if took := time.Since(began); got.State != meta.JobCancelled || took > stopWithin {
				t.Fatalf("cancel answered %s after %v", got.State, took)
			}
			stored := h.Job(j.ID)
			checkpoints := int64(h.Sig.Count(job.SignalCheckpoint, j.ID))
			if stored.Stats.Processed < 3 || stored.Stats.Processed != checkpoints || stored.CompletedAt.IsZero() || stored.LeaseOwner != "" {
				t.Fatalf("cancelled job %+v, %d checkpoints", stored, checkpoints)
			}

			again, err := e.Cancel(h.Ctx, alice, j.ID)
			if err != nil || again.State != meta.JobCancelled || again.Stats != stored.Stats {
				t.Fatalf("second cancel: %+v, %v", again, err)
			}
		})
	}
}

func TestCancelOfAJobThatEndedIsRefused(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	e := h.Engine(nil, scanning(job.TypeMetricReconciliation))
	h.Start(e)
	j := h.Finished(h.Create(e, alice, job.TypeMetricReconciliation, "photos", nil).ID)
	if j.State != meta.JobComplete {
		t.Fatalf("job ended %s: %s", j.State, j.Message)
	}
	_, err := e.Cancel(h.Ctx, alice, j.ID)
	wantErr(t, err, job.ErrEnded)
	if got := h.Job(j.ID); got.State != meta.JobComplete {
		t.Fatalf("refused cancel changed the job to %s", got.State)
	}
}
