package mapiclient

import (
	"context"
	"fmt"
)

// CreateJob creates a job; it is durable once this returns.
func (c *Client) CreateJob(ctx context.Context, req CreateJobRequest) (*JobStatus, error) {
	var resp struct {
		JobStatus JobStatus `json:"jobStatus"`
	}
	if err := c.Call(ctx, "jobs/create", req, &resp); err != nil {
		return nil, err
	}
	return &resp.JobStatus, nil
}

// JobStatus returns a job's current status.
func (c *Client) JobStatus(ctx context.Context, id int32) (*JobStatus, error) {
	var resp struct {
		Status JobStatus `json:"status"`
	}
	if err := c.Call(ctx, "jobs/status", struct {
		JobID JobID `json:"jobId"`
	}{JobID{id}}, &resp); err != nil {
		return nil, err
	}
	if resp.Status.JobID.ID == 0 {
		return nil, fmt.Errorf("jobs/status: the answer has no status for job %d", id)
	}
	return &resp.Status, nil
}

// ListJobs returns one page of jobs, newest first.
func (c *Client) ListJobs(ctx context.Context, req ListJobsRequest) (*JobPage, error) {
	var page JobPage
	if err := c.Call(ctx, "jobs/list", req, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// CancelJob cancels a job and returns its status afterwards. Cancelling a
// CANCELLED job is not an error; cancelling a COMPLETE or FAILED one is a
// 409 CONFLICT.
func (c *Client) CancelJob(ctx context.Context, id int32) (*JobStatus, error) {
	var resp struct {
		Status JobStatus `json:"status"`
	}
	if err := c.Call(ctx, "jobs/cancel", struct {
		JobID JobID `json:"jobId"`
	}{JobID{id}}, &resp); err != nil {
		return nil, err
	}
	return &resp.Status, nil
}

// JobFailures returns one page of the objects a job could not handle.
func (c *Client) JobFailures(ctx context.Context, id int32, pageSize int, pageToken string) (*FailurePage, error) {
	var page FailurePage
	if err := c.Call(ctx, "jobs/failures", struct {
		JobID JobID `json:"jobId"`
		pageRequest
	}{JobID{id}, pageRequest{pageSize, pageToken}}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}
