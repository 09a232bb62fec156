package mapicall

import (
	"context"
	"encoding/json"
	"time"
)

// JobStatus is the part of the MAPI JobStatus the benchmarks read.
type JobStatus struct {
	JobID struct {
		ID int32 `json:"id"`
	} `json:"jobId"`
	JobState string   `json:"jobState"`
	Message  string   `json:"message"`
	JobStats JobStats `json:"jobStats"`
	// Result is the job type's additive fields, undecoded.
	Result json.RawMessage `json:"result"`
}

// JobStats are a job's counters.
type JobStats struct {
	Total     int64 `json:"total"`
	Processed int64 `json:"processed"`
	Failed    int64 `json:"failed"`
	Skipped   int64 `json:"skipped"`
	Bytes     int64 `json:"bytes"`
}

// ended says whether state is one a job does not leave.
func ended(state string) bool {
	switch state {
	case "COMPLETE", "FAILED", "CANCELLED":
		return true
	}
	return false
}

// CreateJob creates a job of jobType on bucket and returns its first
// status.
func (c *Client) CreateJob(ctx context.Context, jobType, bucket string) (JobStatus, error) {
	return c.CreateJobWith(ctx, jobType, bucket, nil)
}

// CreateJobWith is CreateJob with jobParams.
func (c *Client) CreateJobWith(ctx context.Context, jobType, bucket string, params map[string]string) (JobStatus, error) {
	body := map[string]any{"jobType": jobType, "bucketName": bucket}
	if params != nil {
		body["jobParams"] = params
	}
	var created struct {
		JobStatus JobStatus `json:"jobStatus"`
	}
	err := c.Post(ctx, "jobs/create", body, &created)
	return created.JobStatus, err
}

// WaitJob polls job id's status every poll until the job ends and returns
// its last status. seen, when set, is given every status read, for a
// caller that times the job's phases; how exactly a job's end is timed
// depends on poll.
func (c *Client) WaitJob(ctx context.Context, id int32, poll time.Duration, seen func(JobStatus)) (JobStatus, error) {
	body := map[string]any{"jobId": map[string]any{"id": id}}
	for {
		var out struct {
			Status JobStatus `json:"status"`
		}
		if err := c.Post(ctx, "jobs/status", body, &out); err != nil {
			return out.Status, err
		}
		if seen != nil {
			seen(out.Status)
		}
		if ended(out.Status.JobState) {
			return out.Status, nil
		}
		select {
		case <-ctx.Done():
			return out.Status, ctx.Err()
		case <-time.After(poll):
		}
	}
}
