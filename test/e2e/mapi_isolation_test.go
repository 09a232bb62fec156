package e2e

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUsersCannotSeeOrTouchEachOthersJobs(t *testing.T) {
	t.Parallel()
	root := mapiRoot(t, sharedSrv)
	seq := bucketSeq.Add(1)
	a := newMAPIUser(t, sharedSrv, root, fmt.Sprintf("iso-a-%d", seq))
	b := newMAPIUser(t, sharedSrv, root, fmt.Sprintf("iso-b-%d", seq))
	putObject(t, a.S3, a.Bucket, "secret-key-name", []byte("a's data"))

	// A's job on A's bucket, with a failure recorded (verifyData finds no
	// data behind a version whose blob is gone) so that failures has
	// something to leak.
	mustSeed(t, openMeta(t, sharedSrv), a.Bucket, "ghost/", 1)
	aJob := a.MAPI.createJob(metricRecon, a.Bucket, map[string]string{"verifyData": "true"})
	aJob = a.MAPI.waitJobEnded(aJob.ID(), time.Minute)
	if aJob.JobState != "COMPLETE" || aJob.JobStats.Failed != 1 {
		t.Fatalf("A's job ended %s %+v, want COMPLETE with the ghost object failed", aJob.JobState, aJob.JobStats)
	}
	bJob := b.MAPI.waitJobEnded(b.MAPI.createJob(metricRecon, b.Bucket, nil).ID(), time.Minute)

	t.Run("B cannot create a job on A's bucket", func(t *testing.T) {
		a, b := a.as(t), b.as(t)
		resp := b.MAPI.post("jobs/create", map[string]any{"jobType": metricRecon, "bucketName": a.Bucket})
		if e, ok := resp.apiError(); resp.Status != http.StatusForbidden || !ok || e.Code != "FORBIDDEN" {
			t.Errorf("B's create on A's bucket: %s, want 403 FORBIDDEN", resp)
		}
		if jobs := a.MAPI.listJobs(map[string]any{"bucketName": a.Bucket}); len(jobs) != 1 {
			t.Errorf("A's bucket has %d jobs after B's refused create, want 1", len(jobs))
		}
	})

	t.Run("B's job list holds only B's jobs, whatever the filter", func(t *testing.T) {
		a, b := a.as(t), b.as(t)
		for _, filter := range []map[string]any{nil, {"bucketName": a.Bucket}, {"userId": map[string]any{"id": a.ID}}} {
			for _, j := range b.MAPI.listJobs(filter) {
				if j.BucketName != b.Bucket {
					t.Errorf("B's jobs/list %v shows job %d on %s", filter, j.ID(), j.BucketName)
				}
			}
		}
		if jobs := b.MAPI.listJobs(nil); len(jobs) != 1 || jobs[0].ID() != bJob.ID() {
			t.Errorf("B's jobs/list = %+v, want only B's job %d", jobs, bJob.ID())
		}
	})

	t.Run("admins see every user's jobs", func(t *testing.T) {
		root := root.as(t)
		seen := map[int32]bool{}
		for _, j := range root.listJobs(map[string]any{"jobType": metricRecon}) {
			seen[j.ID()] = true
		}
		if !seen[aJob.ID()] || !seen[bJob.ID()] {
			t.Errorf("root's jobs/list lacks A's job %d or B's job %d", aJob.ID(), bJob.ID())
		}
	})

	for _, ep := range []string{"jobs/status", "jobs/cancel", "jobs/failures"} {
		t.Run("B cannot use "+ep+" on A's job", func(t *testing.T) {
			a, b := a.as(t), b.as(t)
			resp := b.MAPI.post(ep, jobIDBody(aJob.ID()))
			if resp.Status != http.StatusNotFound {
				t.Errorf("%s of A's job by B: %s, want 404 as for a missing job", ep, resp)
			}
			// The answer must not tell A's job from a job that does not
			// exist: same status, same body but for the id.
			missing := b.MAPI.post(ep, jobIDBody(math.MaxInt32))
			same := strings.ReplaceAll(string(missing.Body), strconv.Itoa(math.MaxInt32), strconv.Itoa(int(aJob.ID())))
			if missing.Status != resp.Status || same != string(resp.Body) {
				t.Errorf("%s: A's job answers %s, a missing job %s: the difference leaks that the job exists", ep, resp, missing)
			}
			if _, ok := resp.apiError(); !ok {
				t.Errorf("%s of A's job by B: body %q is not the error body", ep, resp.Body)
			}
			body := string(resp.Body)
			for _, secret := range []string{a.Bucket, "secret-key-name", "ghost/", "jobStats", "reason"} {
				if strings.Contains(body, secret) {
					t.Errorf("%s of A's job by B leaks %q: %s", ep, secret, body)
				}
			}
		})
	}
	if j := a.MAPI.jobStatus(aJob.ID()); j.JobState != "COMPLETE" || j.JobStats != aJob.JobStats {
		t.Errorf("A's job after B's attempts: %s %+v, was COMPLETE %+v", j.JobState, j.JobStats, aJob.JobStats)
	}
	var failures struct {
		Failures []struct {
			Key    string `json:"key"`
			Reason string `json:"reason"`
		} `json:"failures"`
	}
	a.MAPI.must("jobs/failures", jobIDBody(aJob.ID()), &failures) // A itself may read them
	if len(failures.Failures) != 1 || failures.Failures[0].Key != "ghost/0000000" || failures.Failures[0].Reason == "" {
		t.Errorf("A's jobs/failures = %+v, want the ghost object with a reason", failures.Failures)
	}

	t.Run("a USER cannot use the admin endpoints", func(t *testing.T) {
		a, b := a.as(t), b.as(t)
		for ep, body := range map[string]any{
			"user/list":   nil,
			"user/create": map[string]any{"username": fmt.Sprintf("iso-evil-%d", seq), "password": "password-123456", "role": "ADMIN"},
			"user/delete": map[string]any{"id": map[string]any{"id": b.ID}},
		} {
			resp := a.MAPI.post(ep, body)
			if e, ok := resp.apiError(); resp.Status != http.StatusForbidden || !ok || e.Code != "FORBIDDEN" {
				t.Errorf("%s by a USER: %s, want 403 FORBIDDEN", ep, resp)
			}
		}
		wantUser(t, "B after A's refused delete", b.MAPI, b.Name, "USER")
		if tr := a.MAPI.passwordGrant(fmt.Sprintf("iso-evil-%d", seq), "password-123456"); tr.Status == http.StatusOK {
			t.Error("a USER's refused user/create created the user")
		}
	})

	t.Run("list_buckets shows only the caller's buckets", func(t *testing.T) {
		b := b.as(t)
		var out struct {
			Buckets []struct {
				Name        string `json:"name"`
				ObjectCount int64  `json:"objectCount"`
			} `json:"buckets"`
		}
		b.MAPI.must("user/list_buckets", nil, &out)
		if len(out.Buckets) != 1 || out.Buckets[0].Name != b.Bucket {
			t.Errorf("B's list_buckets = %+v, want only %s", out.Buckets, b.Bucket)
		}
	})
}
