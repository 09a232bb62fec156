package mapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// jobIDRequest is the body of jobs/status and jobs/cancel.
type jobIDRequest struct {
	JobID *struct {
		ID *int32 `json:"id"`
	} `json:"jobId"`
}

// id returns the requested job id; a 400 when absent.
func (r jobIDRequest) id() (int32, error) {
	if r.JobID == nil || r.JobID.ID == nil {
		return 0, invalid("jobId.id is required")
	}
	return *r.JobID.ID, nil
}

func checkJobType(t string) error {
	if !job.IsType(t) {
		return invalid("jobType %q is not valid; allowed: %s", t, strings.Join(job.Types(), ", "))
	}
	return nil
}

type createJobRequest struct {
	JobType    string    `json:"jobType"`
	BucketName string    `json:"bucketName"`
	JobParams  stringMap `json:"jobParams"`
}

func (h *Handler) createJob(ctx context.Context, c *call) (any, error) {
	var req createJobRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	if req.JobType == "" {
		return nil, invalid("jobType is required")
	}
	if err := checkJobType(req.JobType); err != nil {
		return nil, err
	}
	if req.BucketName == "" {
		return nil, invalid("bucketName is required")
	}
	noteBucket(ctx, req.BucketName)
	j, err := h.cfg.Jobs.Create(ctx, c.p, req.JobType, req.BucketName, req.JobParams)
	if err != nil {
		return nil, createJobError(err, req)
	}
	return map[string]any{"jobStatus": newJobStatus(j)}, nil
}

// createJobError words the create failures that name the request.
func createJobError(err error, req createJobRequest) error {
	var active *meta.ActiveJobError
	switch {
	case errors.As(err, &active):
		e := conflict("job %d of type %s is already active on bucket %s", active.ID, req.JobType, req.BucketName)
		e.Details = fmt.Sprintf("jobId=%d", active.ID)
		return e
	case errors.Is(err, job.ErrUnsupportedType):
		return invalid("jobType %s is not supported yet", req.JobType)
	case errors.Is(err, object.ErrNoSuchBucket):
		return notFound("bucket %s does not exist", req.BucketName)
	case errors.Is(err, object.ErrAccessDenied):
		return forbidden("you do not own bucket %s", req.BucketName)
	}
	return err
}

func (h *Handler) jobStatus(ctx context.Context, c *call) (any, error) {
	id, err := decodeJobID(c.body)
	if err != nil {
		return nil, err
	}
	j, err := h.cfg.Jobs.Get(ctx, c.p, id)
	if err != nil {
		return nil, jobError(err, id)
	}
	return map[string]any{"status": newJobStatus(j)}, nil
}

func (h *Handler) cancelJob(ctx context.Context, c *call) (any, error) {
	var req jobIDRequest
	if err := decodeStrictJSON(c.body, &req); err != nil {
		return nil, err
	}
	id, err := req.id()
	if err != nil {
		return nil, err
	}
	j, err := h.cfg.Jobs.Cancel(ctx, c.p, id)
	if err != nil {
		return nil, jobError(err, id)
	}
	return map[string]any{"status": newJobStatus(j)}, nil
}

func decodeJobID(body []byte) (int32, error) {
	var req jobIDRequest
	if err := decodeJSON(body, &req); err != nil {
		return 0, err
	}
	return req.id()
}

// jobError words the failures of calls on one job.
func jobError(err error, id int32) error {
	switch {
	case errors.Is(err, job.ErrNotFound):
		return notFound("job %d does not exist", id)
	case errors.Is(err, job.ErrEnded):
		return conflict("job %d already ended", id)
	}
	return err
}

type listJobsRequest struct {
	BucketName string `json:"bucketName"`
	UserID     *struct {
		ID int64 `json:"id"`
	} `json:"userId"`
	JobType   string        `json:"jobType"`
	JobState  meta.JobState `json:"jobState"`
	PageSize  int           `json:"pageSize"`
	PageToken string        `json:"pageToken"`
}

func (h *Handler) listJobs(ctx context.Context, c *call) (any, error) {
	var req listJobsRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	if req.JobType != "" {
		if err := checkJobType(req.JobType); err != nil {
			return nil, err
		}
	}
	if req.JobState != "" && !req.JobState.Valid() {
		return nil, invalid("jobState %q is not valid; allowed: EXAMINING, PROCESSING, EXECUTING, COMPLETE, FAILED, CANCELLED", req.JobState)
	}
	if req.PageSize < 0 {
		return nil, invalid("pageSize must not be negative")
	}
	noteBucket(ctx, req.BucketName)
	f := job.ListFilter{Bucket: req.BucketName, Type: req.JobType, State: req.JobState,
		PageSize: req.PageSize, Token: req.PageToken}
	if req.UserID != nil {
		f.UserID = req.UserID.ID
	}
	jobs, next, err := h.cfg.Jobs.List(ctx, c.p, f)
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 && req.BucketName != "" && req.PageToken == "" {
		if err := h.checkListedBucket(ctx, c, req.BucketName); err != nil {
			return nil, err
		}
	}
	out := make([]jobStatus, len(jobs))
	for i := range jobs {
		out[i] = newJobStatus(&jobs[i])
	}
	return pageOf("jobs", out, next), nil
}

// checkListedBucket tells why a bucketName filter found no job when the
// reason is that there is no such bucket (404): an empty list would look
// like a bucket without jobs. Another user's bucket keeps its empty list,
// as before (that it exists is no secret: jobs/create says so). A bucket
// deleted since keeps its jobs listable, as they are found before this is
// asked.
func (h *Handler) checkListedBucket(ctx context.Context, c *call, bucket string) error {
	_, err := h.cfg.Objects.HeadBucket(ctx, c.p, bucket)
	switch {
	case errors.Is(err, object.ErrNoSuchBucket):
		return notFound("bucket %s does not exist", bucket)
	case errors.Is(err, object.ErrAccessDenied):
		return nil
	}
	return err
}

type jobFailuresRequest struct {
	jobIDRequest
	PageSize  int    `json:"pageSize"`
	PageToken string `json:"pageToken"`
}

type jobFailure struct {
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	Reason    string `json:"reason"`
	Time      string `json:"time"`
}

func (h *Handler) jobFailures(ctx context.Context, c *call) (any, error) {
	var req jobFailuresRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	id, err := req.id()
	if err != nil {
		return nil, err
	}
	if req.PageSize < 0 {
		return nil, invalid("pageSize must not be negative")
	}
	failures, next, err := h.cfg.Jobs.Failures(ctx, c.p, id, req.PageSize, req.PageToken)
	if err != nil {
		return nil, jobError(err, id)
	}
	out := make([]jobFailure, len(failures))
	for i, f := range failures {
		out[i] = jobFailure{Key: f.Key, VersionID: f.VersionID, Reason: f.Reason, Time: rfc3339(f.Time)}
	}
	return pageOf("failures", out, next), nil
}

// pageOf is a list response: the items under name, and pageToken unless
// this is the last page.
func pageOf(name string, items any, next string) map[string]any {
	out := map[string]any{name: items}
	if next != "" {
		out["pageToken"] = next
	}
	return out
}
