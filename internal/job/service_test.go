package job_test

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

func TestOnlyTheBucketOwnerAndAdminsReachAJobOthersSeeNoSuchJob(t *testing.T) {
	h := newHarness(t)
	h.Bucket(alice, "photos")
	e := h.Engine(nil, scanning(job.TypeMetricReconciliation))
	j := h.Create(e, alice, job.TypeMetricReconciliation, "photos", nil)

	_, err := e.Get(h.Ctx, bob, j.ID)
	wantErr(t, err, job.ErrNotFound)
	_, err = e.Cancel(h.Ctx, bob, j.ID)
	wantErr(t, err, job.ErrNotFound)
	_, _, err = e.Failures(h.Ctx, bob, j.ID, 0, "")
	wantErr(t, err, job.ErrNotFound)
	if got := h.Job(j.ID); got.State != meta.JobExamining || got.CancelRequested {
		t.Fatalf("bob's cancel changed the job: %+v", got)
	}
	_, err = e.Get(h.Ctx, alice, 999)
	wantErr(t, err, job.ErrNotFound)

	for _, tt := range []struct {
		p    auth.Principal
		want int
	}{{alice, 1}, {admin, 1}, {bob, 0}} {
		if _, err := e.Get(h.Ctx, tt.p, j.ID); tt.want == 1 && err != nil {
			t.Errorf("%s cannot read the job: %v", tt.p.Username, err)
		}
		jobs, _, err := e.List(h.Ctx, tt.p, job.ListFilter{})
		if err != nil || len(jobs) != tt.want {
			t.Errorf("%s lists %d jobs (%v), want %d", tt.p.Username, len(jobs), err, tt.want)
		}
	}
}

func TestListPagesNewestFirstWithAnOpaqueToken(t *testing.T) {
	h := newHarness(t)
	e := h.Engine(nil, scanning(job.TypeMetricReconciliation))
	var ids []int32
	for _, b := range []string{"bucket-a", "bucket-b", "bucket-c"} {
		h.Bucket(alice, b)
		ids = append(ids, h.Create(e, alice, job.TypeMetricReconciliation, b, nil).ID)
	}
	if _, err := e.Cancel(h.Ctx, alice, ids[1]); err != nil {
		t.Fatalf("cancel: %v", err)
	}

	page1, token, err := e.List(h.Ctx, alice, job.ListFilter{PageSize: 2})
	if err != nil || len(page1) != 2 || token == "" || page1[0].ID != ids[2] || page1[1].ID != ids[1] {
		t.Fatalf("page 1: %v token %q err %v", jobIDs(page1), token, err)
	}
	page2, token, err := e.List(h.Ctx, alice, job.ListFilter{PageSize: 2, Token: token})
	if err != nil || len(page2) != 1 || token != "" || page2[0].ID != ids[0] {
		t.Fatalf("page 2: %v token %q err %v", jobIDs(page2), token, err)
	}
	cancelled, _, err := e.List(h.Ctx, alice, job.ListFilter{State: meta.JobCancelled})
	if err != nil || len(cancelled) != 1 || cancelled[0].ID != ids[1] {
		t.Fatalf("cancelled jobs: %v %v", jobIDs(cancelled), err)
	}
	onC, _, err := e.List(h.Ctx, alice, job.ListFilter{Bucket: "bucket-c"})
	if err != nil || len(onC) != 1 || onC[0].ID != ids[2] {
		t.Fatalf("jobs on c: %v %v", jobIDs(onC), err)
	}

	for _, bad := range []job.ListFilter{{Token: "!!"}, {PageSize: -1}, {State: "RUNNING"}} {
		if _, _, err := e.List(h.Ctx, alice, bad); err == nil {
			t.Errorf("List(%+v) accepted", bad)
		}
	}
	if all, _, err := e.List(h.Ctx, alice, job.ListFilter{PageSize: 5000}); err != nil || len(all) != 3 {
		t.Errorf("a page size above the maximum is clamped: %v %v", jobIDs(all), err)
	}
}

func jobIDs(jobs []meta.Job) []int32 {
	ids := make([]int32, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids
}
