package job_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/job/jobtest"
	"github.com/quarrylabs/quarry/internal/meta"
)

func TestCountersKeepTheIdentity(t *testing.T) {
	tests := []struct {
		name string
		// steps are the deltas the runner checkpoints, in order.
		steps []meta.JobStats
		want  meta.JobStats
		// note is what the message must mention ("" for no message).
		note string
	}{
		{
			name:  "a scan that handles exactly what it counted ends with total unchanged",
			steps: []meta.JobStats{{Total: 4}, {Processed: 2, Skipped: 1}, {Failed: 1}},
			want:  meta.JobStats{Total: 4, Processed: 2, Skipped: 1, Failed: 1},
		},
		{
			name:  "candidates written after the count raise total as the scan finds them",
			steps: []meta.JobStats{{Total: 2}, {Processed: 3}, {Processed: 1, Skipped: 1}},
			want:  meta.JobStats{Total: 5, Processed: 4, Skipped: 1},
		},
		{
			name:  "candidates deleted before the scan reached them are counted as skipped, and the message says so",
			steps: []meta.JobStats{{Total: 5}, {Processed: 3}},
			want:  meta.JobStats{Total: 5, Processed: 3, Skipped: 2},
			note:  "2 candidate(s)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.Bucket(alice, "photos")
			runner := funcRunner{typ: job.TypeTriggerReconciliation, fn: func(ctx context.Context, r *job.Run) error {
				for _, d := range tt.steps {
					if err := r.Checkpoint(ctx, job.Checkpoint{State: meta.JobProcessing, Delta: d}); err != nil {
						return err
					}
					jobtest.AssertCounters(t, ptr(r.Job()))
				}
				return nil
			}}
			e := h.Engine(nil, runner)
			h.Start(e)
			j := h.Finished(h.Create(e, alice, job.TypeTriggerReconciliation, "photos", nil).ID)
			if j.State != meta.JobComplete || j.Stats != tt.want {
				t.Fatalf("job ended %s with %+v, want COMPLETE with %+v", j.State, j.Stats, tt.want)
			}
			if tt.note == "" && j.Message != "" || !strings.Contains(j.Message, tt.note) {
				t.Fatalf("message %q, want one mentioning %q", j.Message, tt.note)
			}
		})
	}
}

func TestAJobThatFinishesWhileACancelIsPendingEndsCancelled(t *testing.T) {
	for _, outcome := range []struct {
		name string
		err  error
		msg  string
	}{
		{"a runner that completes", nil, ""},
		{"a runner that fails", context.DeadlineExceeded, "also failed"},
	} {
		t.Run(outcome.name, func(t *testing.T) {
			h := newHarness(t)
			h.Bucket(alice, "photos")
			// The runner's last checkpoint commits, then a cancel is
			// recorded before the runner returns: the cancel was
			// accepted while the job still ran, so the job must not
			// end COMPLETE (or FAILED).
			runner := funcRunner{typ: job.TypeTriggerReconciliation, fn: func(ctx context.Context, r *job.Run) error {
				if err := r.Checkpoint(ctx, job.Checkpoint{State: meta.JobExecuting, Delta: meta.JobStats{Total: 1, Processed: 1}}); err != nil {
					return err
				}
				err := h.Meta.Update(ctx, func(tx meta.Tx) error {
					_, err := tx.CancelJob(r.Job().ID, r.Now())
					return err
				})
				if err != nil {
					t.Errorf("request cancel: %v", err)
				}
				return outcome.err
			}}
			e := h.Engine(nil, runner)
			h.Start(e)
			j := h.Finished(h.Create(e, alice, job.TypeTriggerReconciliation, "photos", nil).ID)
			if j.State != meta.JobCancelled || j.Stats.Processed != 1 || j.Stats.Total != 1 {
				t.Fatalf("job ended %s with %+v, want CANCELLED with the stats it reached", j.State, j.Stats)
			}
			if !strings.Contains(j.Message, outcome.msg) {
				t.Fatalf("message %q, want it to mention %q", j.Message, outcome.msg)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
