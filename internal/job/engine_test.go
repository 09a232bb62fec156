package job

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

func TestCreateStoresAnExaminingJobThatSurvivesARestart(t *testing.T) {
	h := newHarness(t)
	h.bucket(alice, "photos")
	e := h.engine(nil, NewMetricReconciliation())

	j := h.create(e, alice, TypeMetricReconciliation, "photos", map[string]string{ParamDryRun: "true"})
	if j.ID == 0 || j.State != meta.JobExamining || j.OwnerID != alice.UserID || j.UserID != alice.UserID {
		t.Fatalf("created job = %+v", j)
	}
	h.reopen()
	got := h.job(j.ID)
	if got.State != meta.JobExamining || got.Bucket != "photos" || got.Params[ParamDryRun] != "true" {
		t.Fatalf("after reopen: %+v", got)
	}
}

func TestCreateRejectsBadRequests(t *testing.T) {
	h := newHarness(t)
	h.bucket(alice, "photos")
	e := h.engine(nil, NewMetricReconciliation())
	tests := []struct {
		name    string
		p       auth.Principal
		jobType string
		bucket  string
		params  map[string]string
		want    error
	}{
		{"a type that does not exist is unknown", alice, "DEFRAG", "photos", nil, ErrUnknownType},
		{"a known type without a runner is not supported yet", alice, TypeBatchReplicate, "photos", nil, ErrUnsupportedType},
		{"an unknown parameter is invalid", alice, TypeMetricReconciliation, "photos", map[string]string{"verifydata": "true"}, ErrInvalidParams},
		{"dryRun must be true or false", alice, TypeMetricReconciliation, "photos", map[string]string{ParamDryRun: "yes"}, ErrInvalidParams},
		{"verifyData must be true or false", alice, TypeMetricReconciliation, "photos", map[string]string{ParamVerifyData: "1"}, ErrInvalidParams},
		{"cleanOrphans needs verifyData", alice, TypeMetricReconciliation, "photos", map[string]string{ParamCleanOrphans: "true"}, ErrInvalidParams},
		{"a prefix longer than an S3 key is invalid", alice, TypeMetricReconciliation, "photos", map[string]string{ParamPrefix: strings.Repeat("k", 1025)}, ErrInvalidParams},
		{"a prefix holding NUL is invalid", alice, TypeMetricReconciliation, "photos", map[string]string{ParamPrefix: "a\x00b"}, ErrInvalidParams},
		{"a prefix that is not UTF-8 is invalid", alice, TypeMetricReconciliation, "photos", map[string]string{ParamPrefix: "a\xffb"}, ErrInvalidParams},
		{"a missing bucket is reported as such", alice, TypeMetricReconciliation, "nope", nil, object.ErrNoSuchBucket},
		{"another user's bucket is denied", bob, TypeMetricReconciliation, "photos", nil, object.ErrAccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := e.Create(h.ctx, tt.p, tt.jobType, tt.bucket, tt.params)
			wantErr(t, err, tt.want)
			if j != nil {
				t.Fatalf("got a job %+v with the error", j)
			}
		})
	}
	jobs, _, err := e.List(h.ctx, admin, ListFilter{})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("rejected creates stored jobs: %v, %v", jobs, err)
	}
}

func TestASecondActiveJobOfATypeOnABucketNamesTheFirst(t *testing.T) {
	h := newHarness(t)
	h.bucket(alice, "photos")
	h.bucket(alice, "videos")
	e := h.engine(nil, NewMetricReconciliation()) // not running: jobs stay active

	first := h.create(e, alice, TypeMetricReconciliation, "photos", nil)
	_, err := e.Create(h.ctx, admin, TypeMetricReconciliation, "photos", map[string]string{ParamDryRun: "true"})
	var active *meta.ActiveJobError
	if !errors.As(err, &active) || active.ID != first.ID {
		t.Fatalf("second create: %v, want ActiveJobError naming %d", err, first.ID)
	}
	h.create(e, alice, TypeMetricReconciliation, "videos", nil)

	if _, err := e.Cancel(h.ctx, alice, first.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	h.create(e, alice, TypeMetricReconciliation, "photos", nil)
}

func TestJobsOnDifferentBucketsRunAtTheSameTime(t *testing.T) {
	h := newHarness(t)
	h.bucket(alice, "bucket-a")
	h.bucket(alice, "bucket-b")
	started := make(chan int32, 2)
	release := make(chan struct{})
	both := funcRunner{typ: TypeLifecycleUpdate, fn: func(ctx context.Context, r *Run) error {
		started <- r.Job().ID
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	e := h.engine(nil, both)
	h.start(e)
	ja := h.create(e, alice, TypeLifecycleUpdate, "bucket-a", nil)
	jb := h.create(e, alice, TypeLifecycleUpdate, "bucket-b", nil)

	for range 2 {
		select {
		case <-started:
		case <-time.After(waitLimit):
			t.Fatal("the two jobs were not running at the same time")
		}
	}
	close(release)
	for _, id := range []int32{ja.ID, jb.ID} {
		if j := h.finished(id); j.State != meta.JobComplete || j.CompletedAt.IsZero() {
			t.Fatalf("job %d ended %s at %v", id, j.State, j.CompletedAt)
		}
	}
}

func TestHowARunnerEndsDecidesTheJobState(t *testing.T) {
	tests := []struct {
		name        string
		fn          func(ctx context.Context, r *Run) error
		wantState   meta.JobState
		wantMessage string
	}{
		{"returning nil completes the job", func(context.Context, *Run) error { return nil }, meta.JobComplete, ""},
		{"an error fails it with the error's text", func(context.Context, *Run) error {
			return errors.New("destination misconfigured")
		}, meta.JobFailed, "destination misconfigured"},
		{"a panic fails it as an internal error", func(context.Context, *Run) error {
			panic("boom")
		}, meta.JobFailed, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.bucket(alice, "photos")
			e := h.engine(nil, funcRunner{typ: TypeLifecycleUpdate, fn: tt.fn})
			h.start(e)
			j := h.finished(h.create(e, alice, TypeLifecycleUpdate, "photos", nil).ID)
			if j.State != tt.wantState || j.Message != tt.wantMessage || j.LeaseOwner != "" {
				t.Fatalf("job ended %s %q (lease %q), want %s %q", j.State, j.Message, j.LeaseOwner, tt.wantState, tt.wantMessage)
			}
		})
	}
}

func TestFinishedJobsPastRetentionAreRemoved(t *testing.T) {
	h := newHarness(t)
	h.bucket(alice, "photos")
	e := h.engine(nil, NewMetricReconciliation())
	j := h.create(e, alice, TypeMetricReconciliation, "photos", nil)
	if _, err := e.Cancel(h.ctx, alice, j.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	kept := h.create(e, alice, TypeMetricReconciliation, "photos", nil)

	later := h.engine(func(c *Config) {
		c.Now = func() time.Time { return time.Now().Add(DefaultRetention + time.Hour) }
		c.Workers = 1
	})
	later.reapOnce(h.ctx)
	if _, err := e.Get(h.ctx, alice, j.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old finished job: %v, want ErrNotFound", err)
	}
	if _, err := e.Get(h.ctx, alice, kept.ID); err != nil {
		t.Fatalf("active job was removed: %v", err)
	}
}
