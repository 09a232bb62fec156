package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// jobLeaseArgs give the engines of the crash and takeover tests a short lease,
// so that a dead engine's job is taken over in seconds.
var jobLeaseArgs = []string{"--job-lease", "3s"}

// waitRunning polls job id through c until it made progress and has not
// ended: the moment to pull the plug.
func waitRunning(c *mapiClient, id int32) mapiJob {
	c.t.Helper()
	j := c.waitJob(id, time.Minute, "processing", func(j mapiJob) bool {
		return j.JobStats.Processed > 0 || j.ended()
	})
	if j.ended() {
		c.t.Fatalf("job %d ended before the test could interrupt it: %+v", id, j)
	}
	return j
}

// wantCompleteAndExact checks a job that ran over the whole seeded bucket.
func wantCompleteAndExact(t *testing.T, j mapiJob) {
	t.Helper()
	if j.JobState != "COMPLETE" {
		t.Fatalf("job %d ended %s (%s), want COMPLETE", j.ID(), j.JobState, j.Message)
	}
	want := mapiJobStats{Processed: bigObjects, Failed: 0, Total: bigObjects}
	got := j.JobStats
	got.Skipped, got.Bytes = 0, 0
	if got != want {
		t.Errorf("job %d stats %+v, want processed = total = %d exactly, failed 0", j.ID(), j.JobStats, bigObjects)
	}
}

func TestJobSurvivesKill9AndEndsWithExactStats(t *testing.T) {
	t.Parallel()
	dir, seeded := bigDataDir(t)
	srv := startServerIn(t, serverOptions{Args: jobLeaseArgs}, dir)
	st := openMeta(t, srv)
	setUsage(t, st, bigBucket, corruptUsage)
	root := mapiRoot(t, srv)

	created := root.createJob(metricRecon, bigBucket, nil)
	before := waitRunning(root, created.ID())
	srv.Kill(t)
	t.Logf("killed the server with job %d at %s %+v", created.ID(), before.JobState, before.JobStats)

	srv.Restart(t)
	root = mapiRoot(t, srv)
	j := root.waitJobEnded(created.ID(), 2*time.Minute)
	wantCompleteAndExact(t, j)
	if j.JobStats.Bytes != seeded.VersionBytes {
		t.Errorf("jobStats.bytes = %d, want %d", j.JobStats.Bytes, seeded.VersionBytes)
	}
	if row := jobRow(t, st, created.ID()); row.Attempts != 2 {
		t.Errorf("job %d was claimed %d times, want 2 (before and after the crash)", created.ID(), row.Attempts)
	}
	wantExactUsage(t, st, bigBucket, &seeded)
	if jobs := root.listJobs(map[string]any{"bucketName": bigBucket}); len(jobs) != 1 {
		t.Errorf("jobs/list shows %d jobs on %s after the restart, want the one", len(jobs), bigBucket)
	}
}

func TestAnotherEngineTakesOverAJobWhoseHolderDied(t *testing.T) {
	t.Parallel()
	dir, seeded := bigDataDir(t)
	opts := serverOptions{Args: jobLeaseArgs}
	a := startServerIn(t, opts, dir)
	b := startServerIn(t, opts, dir)
	st := openMeta(t, a)
	setUsage(t, st, bigBucket, corruptUsage)

	created := mapiRoot(t, a).createJob(metricRecon, bigBucket, nil)
	waitRunning(mapiRoot(t, a), created.ID())
	row := jobRow(t, st, created.ID())
	holder, survivor := a, b
	if ownedBy(row.LeaseOwner, b) {
		holder, survivor = b, a // B's poller won the claim: the roles swap
	} else if !ownedBy(row.LeaseOwner, a) {
		t.Fatalf("job %d is running but its lease owner %q is neither pid %d nor %d", created.ID(), row.LeaseOwner, a.Pid(), b.Pid())
	}
	if row.Attempts != 1 {
		t.Fatalf("running job %d has attempts %d, want 1", created.ID(), row.Attempts)
	}
	holder.Kill(t) // SIGKILL: the lease is never released
	killed := time.Now()

	j := mapiRoot(t, survivor).waitJobEnded(created.ID(), 2*time.Minute)
	t.Logf("the surviving engine finished job %d %v after the kill", created.ID(), time.Since(killed).Round(time.Millisecond))
	wantCompleteAndExact(t, j)
	row = jobRow(t, st, created.ID())
	if row.Attempts != 2 {
		t.Errorf("job %d was claimed %d times, want 2 (the dead engine, then the survivor)", created.ID(), row.Attempts)
	}
	if row.LeaseOwner != "" && !ownedBy(row.LeaseOwner, survivor) {
		t.Errorf("finished job %d is leased to %q, not to the survivor (pid %d)", created.ID(), row.LeaseOwner, survivor.Pid())
	}
	wantExactUsage(t, st, bigBucket, &seeded)
}

// ownedBy reports whether a lease owner id names srv's process: engine
// instance ids are host-pid-random.
func ownedBy(owner string, srv *server) bool {
	return strings.Contains(owner, fmt.Sprintf("-%d-", srv.Pid()))
}
