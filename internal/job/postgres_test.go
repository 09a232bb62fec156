package job_test

import (
	"context"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/job/jobtest"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// On PostgreSQL a checkpoint's batch and the lease renewals run in
// concurrent transactions that both write the job's row. A batch that lasts
// longer than the renewal interval must still commit: the renewal waits for
// it, rather than making it fail its commit on every retry until the job
// fails (as a LIFECYCLE_UPDATE did in the scale-out test).
func TestACheckpointLongerThanTheRenewalIntervalCommitsOnPostgreSQL(t *testing.T) {
	h := jobtest.NewPostgres(t, pgtest.DSN(t))
	h.Bucket(alice, "photos")
	const (
		lease = 300 * time.Millisecond // renewed every 100 ms
		batch = 350 * time.Millisecond
		pages = 3
	)
	slow := funcRunner{typ: job.TypeTriggerReconciliation, fn: func(ctx context.Context, r *job.Run) error {
		for range pages {
			err := r.Checkpoint(ctx, job.Checkpoint{
				State: meta.JobProcessing,
				Delta: meta.JobStats{Processed: 1, Total: 1},
				Apply: func(tx meta.Tx, _ *job.Checkpoint) error {
					// A long page of work in the checkpoint's transaction,
					// which reads first (taking its snapshot).
					if _, err := tx.ListLatest("photos", "", "", 10); err != nil {
						return err
					}
					time.Sleep(batch)
					return nil
				},
			})
			if err != nil {
				return err
			}
			time.Sleep(lease / 2) // room for renewals between batches too
		}
		return nil
	}}
	e := h.Engine(func(c *job.Config) { c.Lease = lease }, slow)
	h.Start(e)
	j := h.Create(e, alice, job.TypeTriggerReconciliation, "photos", nil)
	got := h.Finished(j.ID)
	if got.State != meta.JobComplete || got.Stats.Processed != pages || got.Stats.Total != pages {
		t.Fatalf("job ended %s (%q) with %+v, want COMPLETE with processed %d", got.State, got.Message, got.Stats, pages)
	}
	if n := h.Sig.Count(job.SignalRenewed, j.ID); n == 0 {
		t.Fatalf("the lease was never renewed during %d batches of %v: the test did not race renewals", pages, batch)
	}
}
