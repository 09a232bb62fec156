package job_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/job/jobtest"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

func TestCreateStoresAnExaminingJobThatSurvivesARestart(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	e := h.Engine(nil, scanning(job.TypeMetricReconciliation))

	j := h.Create(e, alice, job.TypeMetricReconciliation, "photos", map[string]string{job.ParamDryRun: "true"})
	if j.ID == 0 || j.State != meta.JobExamining || j.OwnerID != alice.UserID || j.UserID != alice.UserID {
		t.Fatalf("created job = %+v", j)
	}
	h.Reopen()
	got := h.Job(j.ID)
	if got.State != meta.JobExamining || got.Bucket != "photos" || got.Params[job.ParamDryRun] != "true" {
		t.Fatalf("after reopen: %+v", got)
	}
}

func TestCreateRejectsBadRequests(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	e := h.Engine(nil, scanning(job.TypeMetricReconciliation))
	tests := []struct {
		name    string
		p       auth.Principal
		jobType string
		bucket  string
		params  map[string]string
		want    error
	}{
		{"a type that does not exist is unknown", alice, "DEFRAG", "photos", nil, job.ErrUnknownType},
		{"a known type without a runner is not supported yet", alice, job.TypeBatchReplicate, "photos", nil, job.ErrUnsupportedType},
		{"an unknown parameter is invalid", alice, job.TypeMetricReconciliation, "photos", map[string]string{"verifydata": "true"}, job.ErrInvalidParams},
		{"dryRun must be true or false", alice, job.TypeMetricReconciliation, "photos", map[string]string{job.ParamDryRun: "yes"}, job.ErrInvalidParams},
		{"a prefix longer than an S3 key is invalid", alice, job.TypeMetricReconciliation, "photos", map[string]string{job.ParamPrefix: strings.Repeat("k", 1025)}, job.ErrInvalidParams},
		{"a prefix holding NUL is invalid", alice, job.TypeMetricReconciliation, "photos", map[string]string{job.ParamPrefix: "a\x00b"}, job.ErrInvalidParams},
		{"a prefix that is not UTF-8 is invalid", alice, job.TypeMetricReconciliation, "photos", map[string]string{job.ParamPrefix: "a\xffb"}, job.ErrInvalidParams},
		{"a missing bucket is reported as such", alice, job.TypeMetricReconciliation, "nope", nil, object.ErrNoSuchBucket},
		{"another user's bucket is denied", bob, job.TypeMetricReconciliation, "photos", nil, object.ErrAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := e.Create(h.Ctx, tt.p, tt.jobType, tt.bucket, tt.params)
			wantErr(t, err, tt.want)
			if j != nil {
				t.Fatalf("got a job %+v with the error", j)
			}
		})
	}
	jobs, _, err := e.List(h.Ctx, admin, job.ListFilter{})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("rejected creates stored jobs: %v, %v", jobs, err)
	}
}

func TestASecondActiveJobOfATypeOnABucketNamesTheFirst(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	h.Bucket(alice, "videos")
	e := h.Engine(nil, scanning(job.TypeMetricReconciliation)) // not running: jobs stay active

	first := h.Create(e, alice, job.TypeMetricReconciliation, "photos", nil)
	_, err := e.Create(h.Ctx, admin, job.TypeMetricReconciliation, "photos", map[string]string{job.ParamDryRun: "true"})
	var active *meta.ActiveJobError
	if !errors.As(err, &active) || active.ID != first.ID {
		t.Fatalf("second create: %v, want ActiveJobError naming %d", err, first.ID)
	}
	h.Create(e, alice, job.TypeMetricReconciliation, "videos", nil)

	if _, err := e.Cancel(h.Ctx, alice, first.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	h.Create(e, alice, job.TypeMetricReconciliation, "photos", nil)
}

func TestJobsOnDifferentBucketsRunAtTheSameTime(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "bucket-a")
	h.Bucket(alice, "bucket-b")
	started := make(chan int32, 2)
	release := make(chan struct{})
	both := funcRunner{typ: job.TypeLifecycleUpdate, fn: func(ctx context.Context, r *job.Run) error {
		started <- r.Job().ID
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	e := h.Engine(nil, both)
	h.Start(e)
	ja := h.Create(e, alice, job.TypeLifecycleUpdate, "bucket-a", nil)
	jb := h.Create(e, alice, job.TypeLifecycleUpdate, "bucket-b", nil)

	for range 2 {
		select {
		case <-started:
		case <-time.After(jobtest.WaitLimit):
			t.Fatal("the two jobs were not running at the same time")
		}
	}
	close(release)
	for _, id := range []int32{ja.ID, jb.ID} {
		if j := h.Finished(id); j.State != meta.JobComplete || j.CompletedAt.IsZero() {
			t.Fatalf("job %d ended %s at %v", id, j.State, j.CompletedAt)
		}
	}
}

func TestHowARunnerEndsDecidesTheJobState(t *testing.T) {
	tests := []struct {
		name        string
		fn          func(ctx context.Context, r *job.Run) error
		wantState   meta.JobState
		wantMessage string
	}{
		{"returning nil completes the job", func(context.Context, *job.Run) error { return nil }, meta.JobComplete, ""},
		{"an error fails it with the error's text", func(context.Context, *job.Run) error {
			return errors.New("destination misconfigured")
		}, meta.JobFailed, "destination misconfigured"},
		{"a panic fails it as an internal error", func(context.Context, *job.Run) error {
			panic("boom")
		}, meta.JobFailed, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.Bucket(alice, "photos")
			e := h.Engine(nil, funcRunner{typ: job.TypeLifecycleUpdate, fn: tt.fn})
			h.Start(e)
			j := h.Finished(h.Create(e, alice, job.TypeLifecycleUpdate, "photos", nil).ID)
			if j.State != tt.wantState || j.Message != tt.wantMessage || j.LeaseOwner != "" {
				t.Fatalf("job ended %s %q (lease %q), want %s %q", j.State, j.Message, j.LeaseOwner, tt.wantState, tt.wantMessage)
			}
		})
	}
}

func TestFinishedJobsPastRetentionAreRemoved(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	e := h.Engine(nil, scanning(job.TypeMetricReconciliation))
	j := h.Create(e, alice, job.TypeMetricReconciliation, "photos", nil)
	if _, err := e.Cancel(h.Ctx, alice, j.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	kept := h.Create(e, alice, job.TypeMetricReconciliation, "photos", nil)

	// An engine whose clock is past the retention removes the old job when
	// it starts; it takes the active one and holds it.
	later := h.Engine(func(c *job.Config) {
		c.Now = func() time.Time { return time.Now().Add(job.DefaultRetention + time.Hour) }
		c.Workers = 1
	}, stalling(job.TypeMetricReconciliation, 0))
	h.Start(later)
	h.Sig.Wait(t, job.SignalReaped, 0, 1)
	if _, err := e.Get(h.Ctx, alice, j.ID); !errors.Is(err, job.ErrNotFound) {
		t.Fatalf("old finished job: %v, want job.ErrNotFound", err)
	}
	if _, err := e.Get(h.Ctx, alice, kept.ID); err != nil {
		t.Fatalf("active job was removed: %v", err)
	}
}
