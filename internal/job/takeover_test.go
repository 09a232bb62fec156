package job_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
)

func TestAStoppingEngineReleasesItsJobsForImmediateTakeover(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	a := h.Engine(func(c *job.Config) { c.Lease = time.Minute }, looping(job.TypeTriggerReconciliation))
	stopA := h.Start(a)
	j := h.Create(a, alice, job.TypeTriggerReconciliation, "photos", nil)
	h.Sig.Wait(t, job.SignalCheckpoint, j.ID, 2)
	stopA()
	h.Sig.Wait(t, job.SignalReleased, j.ID, 1)
	kept := h.Job(j.ID)

	// With a one-minute lease, only a release lets B start within the wait.
	b := h.Engine(func(c *job.Config) { c.Lease = time.Minute }, looping(job.TypeTriggerReconciliation))
	h.Start(b)
	h.Sig.Wait(t, job.SignalClaimed, j.ID, 2)
	h.Sig.Wait(t, job.SignalCheckpoint, j.ID, h.Sig.Count(job.SignalCheckpoint, j.ID)+1)
	now := h.Job(j.ID)
	if now.LeaseOwner != b.InstanceID() || now.Attempts != 2 || now.Stats.Processed <= kept.Stats.Processed {
		t.Fatalf("after takeover: %+v (A left %+v)", now, kept)
	}
}

func TestARunningJobKeepsItsLeaseByRenewingIt(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	const lease = 300 * time.Millisecond
	var progressed atomic.Int64
	a := h.Engine(func(c *job.Config) {
		c.Lease = lease
		c.OnProgress = func(jobType string, processed, failed int64) {
			if jobType == job.TypeTriggerReconciliation {
				progressed.Add(processed)
			}
		}
	}, stalling(job.TypeTriggerReconciliation, 3))
	h.Start(a)
	j := h.Create(a, alice, job.TypeTriggerReconciliation, "photos", nil)
	h.Sig.Wait(t, job.SignalClaimed, j.ID, 1)
	// A second engine keeps trying to claim: it must not get the job.
	h.Start(h.Engine(func(c *job.Config) { c.Lease = lease }, stalling(job.TypeTriggerReconciliation, 3)))

	// Four renewals span more than one lease.
	h.Sig.Wait(t, job.SignalRenewed, j.ID, 4)
	held := h.Job(j.ID)
	if held.LeaseOwner != a.InstanceID() || held.Attempts != 1 || h.Sig.Count(job.SignalClaimed, j.ID) != 1 {
		t.Fatalf("job after renewals: %+v, claimed %d times", held, h.Sig.Count(job.SignalClaimed, j.ID))
	}
	if got := progressed.Load(); got != 3 {
		t.Fatalf("OnProgress reported %d processed, want 3", got)
	}
}
