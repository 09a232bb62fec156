package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCancelAndTheActiveJobRule runs one long job on the big bucket and,
// while it runs, checks the 409 rule, that a job on another bucket runs in
// parallel, and cancel.
func TestCancelAndTheActiveJobRule(t *testing.T) {
	t.Parallel()
	dir, _ := bigDataDir(t)
	srv := startServerIn(t, serverOptions{}, dir)
	root := mapiRoot(t, srv)
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	other := newBucket(t, c)
	putObject(t, c, other, "one", []byte("1"))

	long := root.createJob(metricRecon, bigBucket, nil)
	running := root.waitJob(long.ID(), time.Minute, "processing", func(j mapiJob) bool {
		return j.JobStats.Processed > 0 || j.ended()
	})
	if running.ended() {
		t.Fatalf("job %d ended before the test could act on it: %+v", long.ID(), running)
	}

	t.Run("a second job of the same type on the bucket is refused with the active job's id", func(t *testing.T) {
		root := root.as(t)
		before := len(root.listJobs(nil))
		resp := root.post("jobs/create", map[string]any{"jobType": metricRecon, "bucketName": bigBucket})
		e, ok := resp.apiError()
		if resp.Status != http.StatusConflict || !ok || e.Code != "CONFLICT" {
			t.Fatalf("second create: %s, want 409 CONFLICT", resp)
		}
		id := fmt.Sprint(long.ID())
		if !strings.Contains(e.Message, id) && !strings.Contains(e.Details, id) {
			t.Errorf("409 body %+v does not name the active job %s", e, id)
		}
		if after := len(root.listJobs(nil)); after != before {
			t.Errorf("jobs/list shows %d jobs after the refused create, %d before", after, before)
		}
	})

	var small mapiJob
	t.Run("a job on another bucket runs while the first is active", func(t *testing.T) {
		root := root.as(t)
		small = root.createJob(metricRecon, other, nil)
		small = root.waitJobEnded(small.ID(), time.Minute)
		if small.JobState != "COMPLETE" || small.JobStats.Processed != 1 {
			t.Errorf("job on %s ended %+v, want COMPLETE with processed 1", other, small)
		}
		if l := root.jobStatus(long.ID()); l.ended() {
			t.Errorf("the long job ended (%s) before the small one was seen complete; nothing ran in parallel", l.JobState)
		}
	})

	t.Run("cancel stops the job within 2 seconds and keeps its stats", func(t *testing.T) {
		root := root.as(t)
		start := time.Now()
		var out struct {
			Status mapiJob `json:"status"`
		}
		root.must("jobs/cancel", jobIDBody(long.ID()), &out)
		j := out.Status
		if !j.ended() {
			j = root.waitJobEnded(long.ID(), 5*time.Second)
		}
		took := time.Since(start)
		if j.JobState != "CANCELLED" {
			t.Fatalf("after cancel the job is %s, want CANCELLED", j.JobState)
		}
		if took > 2*time.Second {
			t.Errorf("cancel took %v to end the job, want at most 2s", took)
		}
		if j.JobStats.Processed <= 0 || j.JobStats.Processed >= int64(bigObjects) {
			t.Errorf("cancelled job's stats %+v: want the progress it reached (0 < processed < %d)", j.JobStats, bigObjects)
		}
		if j.CompleteTime == "" {
			t.Error("a CANCELLED job has no completeTime")
		}
		settled := root.jobStatus(long.ID())
		if settled.JobState != "CANCELLED" || settled.JobStats.Processed < j.JobStats.Processed {
			t.Errorf("status after cancel: %s %+v, cancel answered %+v", settled.JobState, settled.JobStats, j.JobStats)
		}

		again := root.post("jobs/cancel", jobIDBody(long.ID()))
		var second struct {
			Status mapiJob `json:"status"`
		}
		if again.Status != http.StatusOK || decodeInto(again, &second) != nil {
			t.Fatalf("second cancel: %s, want 200", again)
		}
		if second.Status.JobState != "CANCELLED" || second.Status.JobStats != settled.JobStats {
			t.Errorf("second cancel answered %s %+v, want CANCELLED %+v", second.Status.JobState, second.Status.JobStats, settled.JobStats)
		}
	})

	t.Run("cancel of a COMPLETE job is a conflict", func(t *testing.T) {
		root := root.as(t)
		if small.JobState != "COMPLETE" {
			t.Skip("the small job did not complete")
		}
		resp := root.post("jobs/cancel", jobIDBody(small.ID()))
		if e, ok := resp.apiError(); resp.Status != http.StatusConflict || !ok || e.Code != "CONFLICT" {
			t.Errorf("cancel of a COMPLETE job: %s, want 409 CONFLICT", resp)
		}
		if j := root.jobStatus(small.ID()); j.JobState != "COMPLETE" {
			t.Errorf("after the refused cancel the job is %s", j.JobState)
		}
	})

	t.Run("a new job may start once the active one was cancelled", func(t *testing.T) {
		root := root.as(t)
		next := root.createJob(metricRecon, bigBucket, map[string]string{"dryRun": "true"})
		if next.ID() <= long.ID() {
			t.Errorf("new job id %d is not above the earlier %d: ids must never be reused", next.ID(), long.ID())
		}
		root.must("jobs/cancel", jobIDBody(next.ID()), nil)
	})
}

// The other three types arrive with their own issues. Until a build runs a
// type, create must answer 400 INVALID_REQUEST and store nothing; once it
// runs it, the job must really run. On a bucket with no replication
// configuration a real BATCH_REPLICATE cannot go on, so it ends FAILED
// saying why: a COMPLETE there would be the fake this test is about.
func TestUnsupportedJobTypesAreRefusedNotFaked(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "x", []byte("x"))
	root := mapiRoot(t, sharedSrv)
	for _, typ := range []string{"BATCH_REPLICATE", "LIFECYCLE_UPDATE", "TRIGGER_RECONCILIATION"} {
		resp := root.post("jobs/create", map[string]any{"jobType": typ, "bucketName": bucket})
		if resp.Status == http.StatusOK {
			var out struct {
				JobStatus mapiJob `json:"jobStatus"`
			}
			if err := decodeInto(resp, &out); err != nil {
				t.Fatalf("create %s: %s: %v", typ, resp, err)
			}
			j := root.waitJobEnded(out.JobStatus.ID(), time.Minute)
			t.Logf("this build runs %s: on a bucket without its configuration it ended %s (%s)", typ, j.JobState, j.Message)
			if typ == "BATCH_REPLICATE" && (j.JobState != "FAILED" || j.Message == "") {
				t.Errorf("BATCH_REPLICATE on a bucket without replication configuration ended %s %q, want FAILED saying why", j.JobState, j.Message)
			}
			continue
		}
		if e, ok := resp.apiError(); resp.Status != http.StatusBadRequest || !ok || e.Code != "INVALID_REQUEST" {
			t.Errorf("create %s: %s, want 400 INVALID_REQUEST (not supported yet) or a job that really runs", typ, resp)
		}
		if jobs := root.listJobs(map[string]any{"bucketName": bucket, "jobType": typ}); len(jobs) != 0 {
			t.Errorf("the refused create of %s left jobs: %+v", typ, jobs)
		}
	}
}
