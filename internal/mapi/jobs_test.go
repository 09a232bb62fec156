package mapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

func createJob(t *testing.T, h *harness, user, bucket, params string) int64 {
	t.Helper()
	if params == "" {
		params = "{}"
	}
	r := h.call(user, "jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"`+bucket+`","jobParams":`+params+`}`)
	wantOK(t, r)
	return int64(r.num("jobStatus", "jobId", "id"))
}

func TestACreatedJobReportsTheVendorsJobStatus(t *testing.T) {
	h := newHarness(t)
	r := h.call("alice", "jobs/create",
		`{"jobType":"METRIC_RECONCILIATION","bucketName":"alice","jobParams":{"dryRun":"true","prefix":"logs/"},"extra":1}`)
	wantOK(t, r)
	s := r.get("jobStatus").(map[string]any)
	if s["jobState"] != "EXAMINING" || s["jobType"] != "METRIC_RECONCILIATION" || s["bucketName"] != "alice" {
		t.Fatalf("job status %s", r.raw)
	}
	if r.num("jobStatus", "jobId", "id") < 1 || r.num("jobStatus", "userId", "id") != float64(h.ids["alice"]) {
		t.Fatalf("ids in %s", r.raw)
	}
	start, err := time.Parse(time.RFC3339, r.str("jobStatus", "startTime"))
	if err != nil || !strings.HasSuffix(r.str("jobStatus", "startTime"), "Z") || time.Since(start) > time.Minute {
		t.Fatalf("startTime %q is not a recent RFC 3339 UTC time", r.str("jobStatus", "startTime"))
	}
	if _, ok := s["completeTime"]; ok {
		t.Fatalf("a running job has a completeTime: %s", r.raw)
	}
	if r.str("jobStatus", "jobParams", "dryRun") != "true" || r.str("jobStatus", "jobParams", "prefix") != "logs/" {
		t.Fatalf("jobParams not as given: %s", r.raw)
	}
	for _, k := range []string{"processed", "failed"} {
		if v, ok := r.get("jobStatus", "jobStats", k).(float64); !ok || v != 0 {
			t.Fatalf("jobStats.%s in %s", k, r.raw)
		}
	}

	id := itoa(int64(r.num("jobStatus", "jobId", "id")))
	st := h.call("alice", "jobs/status", `{"jobId":{"id":`+id+`}}`)
	wantOK(t, st)
	if st.num("status", "jobId", "id") != r.num("jobStatus", "jobId", "id") || st.str("status", "jobState") != "EXAMINING" {
		t.Fatalf("status %s", st.raw)
	}
}

func TestOnlyOneActiveJobOfATypeRunsOnABucket(t *testing.T) {
	h := newHarness(t)
	first := createJob(t, h, "alice", "alice", "")
	r := h.call("alice", "jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"alice"}`)
	wantError(t, r, 409, CodeConflict,
		"job "+itoa(first)+" of type METRIC_RECONCILIATION is already active on bucket alice")
	if !strings.Contains(r.str("details"), itoa(first)) {
		t.Fatalf("details %q do not name job %d", r.str("details"), first)
	}
	// Another bucket is independent.
	createJob(t, h, "bob", "bob", "")
	// Once cancelled, a new job may start.
	wantOK(t, h.call("alice", "jobs/cancel", `{"jobId":{"id":`+itoa(first)+`}}`))
	createJob(t, h, "alice", "alice", "")
}

func TestCancelEndsAJobAndIsIdempotent(t *testing.T) {
	h := newHarness(t)
	id := itoa(createJob(t, h, "alice", "alice", ""))
	for range 2 {
		r := h.call("alice", "jobs/cancel", `{"jobId":{"id":`+id+`}}`)
		wantOK(t, r)
		if r.str("status", "jobState") != "CANCELLED" {
			t.Fatalf("after cancel: %s", r.raw)
		}
		if _, err := time.Parse(time.RFC3339, r.str("status", "completeTime")); err != nil {
			t.Fatalf("a cancelled job has no completeTime: %s", r.raw)
		}
	}
}

func TestUsersCannotTouchJobsOnOtherUsersBuckets(t *testing.T) {
	h := newHarness(t)
	id := itoa(createJob(t, h, "alice", "alice", ""))
	byID := `{"jobId":{"id":` + id + `}}`

	// Another tenant's job is answered exactly as a missing one.
	wantError(t, h.call("bob", "jobs/status", byID), 404, CodeNotFound)
	wantError(t, h.call("bob", "jobs/cancel", byID), 404, CodeNotFound)
	wantError(t, h.call("bob", "jobs/failures", byID), 404, CodeNotFound)
	wantError(t, h.call("bob", "jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"alice"}`), 403, CodeForbidden, "alice")
	list := h.call("bob", "jobs/list", `{}`)
	wantOK(t, list)
	if jobs := list.get("jobs").([]any); len(jobs) != 0 {
		t.Fatalf("bob sees %d jobs: %s", len(jobs), list.raw)
	}
	list = h.call("bob", "jobs/list", `{"bucketName":"alice"}`)
	wantOK(t, list)
	if jobs := list.get("jobs").([]any); len(jobs) != 0 {
		t.Fatalf("bob sees alice's jobs by bucket: %s", list.raw)
	}

	// The job is untouched, and its owner and the admin still see it.
	st := h.call("alice", "jobs/status", byID)
	wantOK(t, st)
	if st.str("status", "jobState") != "EXAMINING" {
		t.Fatalf("bob changed alice's job: %s", st.raw)
	}
	wantOK(t, h.call("admin", "jobs/status", byID))
	wantOK(t, h.call("alice", "jobs/failures", byID))
}

func TestJobListsAreNewestFirstAndPaged(t *testing.T) {
	h := newHarness(t)
	h.addBucket("alice", "alice-2")
	h.addBucket("alice", "alice-3")
	var ids []float64
	for _, b := range []string{"alice", "alice-2", "alice-3"} {
		ids = append(ids, float64(createJob(t, h, "alice", b, "")))
	}
	var seen []float64
	token := ""
	for page := 0; page < 5; page++ {
		body := `{"pageSize":2}`
		if token != "" {
			body = `{"pageSize":2,"pageToken":"` + token + `"}`
		}
		r := h.call("alice", "jobs/list", body)
		wantOK(t, r)
		for _, j := range r.get("jobs").([]any) {
			seen = append(seen, j.(map[string]any)["jobId"].(map[string]any)["id"].(float64))
		}
		token = r.str("pageToken")
		if token == "" {
			break
		}
	}
	if len(seen) != 3 || seen[0] != ids[2] || seen[1] != ids[1] || seen[2] != ids[0] {
		t.Fatalf("listed %v, want %v newest first", seen, ids)
	}
	r := h.call("alice", "jobs/list", `{"bucketName":"alice-2","jobType":"METRIC_RECONCILIATION","jobState":"EXAMINING"}`)
	wantOK(t, r)
	if jobs := r.get("jobs").([]any); len(jobs) != 1 || r.get("pageToken") != nil {
		t.Fatalf("filtered list %s", r.raw)
	}
}

func TestAReconciliationRunsToCompletionThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	h.start()
	for _, k := range []string{"a", "b", "c"} {
		h.putObject("alice", "alice", k, "data-"+k)
	}
	id := itoa(createJob(t, h, "alice", "alice", ""))
	var st response
	deadline := time.Now().Add(20 * time.Second)
	for {
		st = h.call("alice", "jobs/status", `{"jobId":{"id":`+id+`}}`)
		wantOK(t, st)
		if meta.JobState(st.str("status", "jobState")).Terminal() || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.str("status", "jobState") != "COMPLETE" || st.num("status", "jobStats", "processed") != 3 {
		t.Fatalf("job ended %s", st.raw)
	}
	if _, err := time.Parse(time.RFC3339, st.str("status", "completeTime")); err != nil {
		t.Fatalf("a COMPLETE job has no completeTime: %s", st.raw)
	}
	if _, ok := st.get("status", "result").(map[string]any); !ok {
		t.Fatalf("no result object: %s", st.raw)
	}
	if p, ok := st.get("status", "progress").(float64); ok && p != 100 {
		t.Fatalf("a COMPLETE job at %v%%", p)
	}
	wantError(t, h.call("alice", "jobs/cancel", `{"jobId":{"id":`+id+`}}`), 409, CodeConflict, "already ended")
	f := h.call("alice", "jobs/failures", `{"jobId":{"id":`+id+`}}`)
	wantOK(t, f)
	if fs, ok := f.get("failures").([]any); !ok || len(fs) != 0 {
		t.Fatalf("failures %s", f.raw)
	}
}

func TestTheJobStatusShowsProgressMessageAndOnlyObjectResults(t *testing.T) {
	created := time.Date(2026, 1, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		job  meta.Job
		want func(s jobStatus) bool
	}{
		{"no total means no progress", meta.Job{State: meta.JobExecuting},
			func(s jobStatus) bool { return s.Progress == nil }},
		{"progress counts handled candidates", meta.Job{State: meta.JobExecuting, Stats: meta.JobStats{Total: 8, Processed: 3, Failed: 1}},
			func(s jobStatus) bool { return s.Progress != nil && *s.Progress == 50 }},
		{"a complete job is at 100", meta.Job{State: meta.JobComplete, Stats: meta.JobStats{Total: 8, Processed: 3}},
			func(s jobStatus) bool { return s.Progress != nil && *s.Progress == 100 }},
		{"times are UTC", meta.Job{State: meta.JobFailed, CreatedAt: created, CompletedAt: created.Add(time.Minute), Message: "bucket deleted"},
			func(s jobStatus) bool {
				return s.StartTime == "2026-01-01T11:00:00Z" && s.CompleteTime == "2026-01-01T11:01:00Z" && s.Message == "bucket deleted"
			}},
		{"a result that is not an object is left out", meta.Job{Result: []byte(`[1,2]`)},
			func(s jobStatus) bool { return s.Result == nil }},
		{"an object result is shown", meta.Job{Result: []byte(`{"before":{"objects":1}}`)},
			func(s jobStatus) bool { return string(s.Result) == `{"before":{"objects":1}}` }},
		{"absent params are an empty object", meta.Job{},
			func(s jobStatus) bool { return s.JobParams != nil && len(s.JobParams) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := newJobStatus(&tt.job); !tt.want(s) {
				t.Fatalf("%+v", s)
			}
		})
	}
}

// failingJobs is a job.API whose store is broken, as a database can be.
type failingJobs struct{ err error }

func (f failingJobs) Create(context.Context, auth.Principal, string, string, map[string]string) (*meta.Job, error) {
	return nil, f.err
}
func (f failingJobs) Get(context.Context, auth.Principal, int32) (*meta.Job, error) {
	return nil, f.err
}
func (f failingJobs) List(context.Context, auth.Principal, job.ListFilter) ([]meta.Job, string, error) {
	return nil, "", f.err
}
func (f failingJobs) Cancel(context.Context, auth.Principal, int32) (*meta.Job, error) {
	return nil, f.err
}
func (f failingJobs) Failures(context.Context, auth.Principal, int32, int, string) ([]meta.JobFailure, string, error) {
	return nil, "", f.err
}

func TestInternalFailuresAreLoggedNotShown(t *testing.T) {
	leak := errors.New(`sqlite: SELECT * FROM jobs WHERE id = ?: database disk image is malformed`)
	h := newHarness(t, withJobs(failingJobs{err: leak}))
	for _, tt := range []struct{ endpoint, body string }{
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"alice"}`},
		{"jobs/status", `{"jobId":{"id":1}}`},
		{"jobs/list", `{}`},
		{"jobs/cancel", `{"jobId":{"id":1}}`},
		{"jobs/failures", `{"jobId":{"id":1}}`},
	} {
		t.Run(tt.endpoint, func(t *testing.T) {
			r := h.call("alice", tt.endpoint, tt.body)
			wantError(t, r, http.StatusInternalServerError, CodeInternal)
			if strings.Contains(r.raw, "sqlite") || strings.Contains(r.raw, "SELECT") || strings.Contains(r.raw, "malformed") {
				t.Fatalf("the body leaks the cause: %s", r.raw)
			}
			reqID := r.header.Get("X-Request-Id")
			if reqID == "" || !strings.Contains(r.str("details"), reqID) {
				t.Fatalf("details %q do not carry the request id %q", r.str("details"), reqID)
			}
			logs := h.logs.String()
			if !strings.Contains(logs, "request_id="+reqID) || !strings.Contains(logs, "database disk image is malformed") {
				t.Fatalf("the cause was not logged with request id %s:\n%s", reqID, logs)
			}
		})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var saw bool
	for _, o := range h.observed {
		saw = saw || o == observation{"jobs/create", 500}
	}
	if !saw {
		t.Fatalf("Observe did not see jobs/create 500: %v", h.observed)
	}
}

func TestAJobListByABucketThatDoesNotExistSaysSo(t *testing.T) {
	h := newHarness(t)
	h.addBucket("alice", "alice-empty")
	h.addBucket("alice", "alice-gone")
	gone := createJob(t, h, "alice", "alice-gone", "")
	if _, err := h.engine.Cancel(h.ctx, h.principal("alice"), int32(gone)); err != nil {
		t.Fatal(err)
	}
	if err := h.objects.DeleteBucket(h.ctx, h.principal("alice"), "alice-gone"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, body string
		status           int
		code, msg        string
		jobs             int
	}{
		{"a bucket that never existed", "alice", `{"bucketName":"nosuch"}`, 404, CodeNotFound, "bucket nosuch does not exist", 0},
		{"a bucket that never existed, for an admin", "admin", `{"bucketName":"nosuch"}`, 404, CodeNotFound, "bucket nosuch does not exist", 0},
		{"a bucket without jobs", "alice", `{"bucketName":"alice-empty"}`, 200, "", "", 0},
		{"another user's bucket", "bob", `{"bucketName":"alice-empty"}`, 200, "", "", 0},
		{"a bucket whose jobs the filter leaves out", "alice", `{"bucketName":"alice-gone","jobState":"COMPLETE"}`, 404, CodeNotFound, "bucket alice-gone does not exist", 0},
		{"a deleted bucket keeps its jobs listable", "alice", `{"bucketName":"alice-gone"}`, 200, "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call(tt.user, "jobs/list", tt.body)
			if tt.status != 200 {
				wantError(t, r, tt.status, tt.code, tt.msg)
				return
			}
			wantOK(t, r)
			if jobs := r.get("jobs").([]any); len(jobs) != tt.jobs {
				t.Fatalf("listed %d jobs, want %d: %s", len(jobs), tt.jobs, r.raw)
			}
		})
	}
}
