package mapiclient

import (
	"encoding/json"
	"time"
)

// Job states (MAPI jobState).
const (
	StateExamining  = "EXAMINING"
	StateProcessing = "PROCESSING"
	StateExecuting  = "EXECUTING"
	StateComplete   = "COMPLETE"
	StateFailed     = "FAILED"
	StateCancelled  = "CANCELLED"
)

// JobID is MAPI's {"id": n} job reference.
type JobID struct {
	ID int32 `json:"id"`
}

// UserID is MAPI's {"id": n} user reference.
type UserID struct {
	ID int64 `json:"id"`
}

// JobStats are a job's counters; Total, Skipped and Bytes are additive
// fields that a server may leave out (zero).
type JobStats struct {
	Processed int64 `json:"processed"`
	Failed    int64 `json:"failed"`
	Total     int64 `json:"total,omitempty"`
	Skipped   int64 `json:"skipped,omitempty"`
	Bytes     int64 `json:"bytes,omitempty"`
}

// JobStatus is the MAPI JobStatus object. It marshals back to JSON exactly
// as the server sent it, additive fields included, so that programs that
// print it lose nothing.
type JobStatus struct {
	JobID     JobID  `json:"jobId"`
	JobState  string `json:"jobState"`
	JobType   string `json:"jobType"`
	StartTime string `json:"startTime,omitempty"`
	// CompleteTime is set once the job ended.
	CompleteTime string            `json:"completeTime,omitempty"`
	JobParams    map[string]string `json:"jobParams,omitempty"`
	JobStats     JobStats          `json:"jobStats"`
	BucketName   string            `json:"bucketName"`
	Message      string            `json:"message,omitempty"`
	UserID       *UserID           `json:"userId,omitempty"`
	// Result holds the job type's outcome fields (a JSON object), and,
	// while a job works through something its counters do not count, its
	// "phase" (see Phase).
	Result json.RawMessage `json:"result,omitempty"`

	raw json.RawMessage
}

// JobPhase is how far a running job is through the work of its current
// state when that is not the candidates its counters count (the orphan
// search of a METRIC_RECONCILIATION with verifyData): result.phase.
type JobPhase struct {
	State string `json:"state"`
	Step  string `json:"step"`
	Unit  string `json:"unit"`
	Done  int64  `json:"done"`
	// Total is 0 when unknown; Estimated says Done may pass it.
	Total     int64 `json:"total,omitempty"`
	Estimated bool  `json:"estimated,omitempty"`
}

// Phase returns the phase the running job reports for its current state;
// ok is false when it reports none (or one of a state it has left).
func (s *JobStatus) Phase() (p JobPhase, ok bool) {
	if s.Terminal() || len(s.Result) == 0 {
		return JobPhase{}, false
	}
	var res struct {
		Phase *JobPhase `json:"phase"`
	}
	if err := json.Unmarshal(s.Result, &res); err != nil || res.Phase == nil || res.Phase.State != s.JobState {
		return JobPhase{}, false
	}
	return *res.Phase, true
}

// Terminal reports whether the job ended (COMPLETE, FAILED or CANCELLED).
func (s *JobStatus) Terminal() bool {
	switch s.JobState {
	case StateComplete, StateFailed, StateCancelled:
		return true
	}
	return false
}

// Started parses StartTime; ok is false when it is absent or malformed.
func (s *JobStatus) Started() (t time.Time, ok bool) { return parseTime(s.StartTime) }

// Completed parses CompleteTime; ok is false while the job runs.
func (s *JobStatus) Completed() (t time.Time, ok bool) { return parseTime(s.CompleteTime) }

func (s *JobStatus) UnmarshalJSON(b []byte) error {
	type plain JobStatus
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = JobStatus(p)
	s.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (s JobStatus) MarshalJSON() ([]byte, error) {
	if len(s.raw) > 0 {
		return s.raw, nil
	}
	type plain JobStatus
	return json.Marshal(plain(s))
}

// User is a MAPI user.
type User struct {
	ID       UserID `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`

	raw json.RawMessage
}

func (u *User) UnmarshalJSON(b []byte) error {
	type plain User
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*u = User(p)
	u.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (u User) MarshalJSON() ([]byte, error) {
	if len(u.raw) > 0 {
		return u.raw, nil
	}
	type plain User
	return json.Marshal(plain(u))
}

// Bucket is one entry of user/list_buckets.
type Bucket struct {
	Name         string `json:"name"`
	CreationTime string `json:"creationTime"`
	ObjectCount  int64  `json:"objectCount"`
	Bytes        int64  `json:"bytes"`
}

// JobFailure is one object a job could not handle.
type JobFailure struct {
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	Reason    string `json:"reason"`
	Time      string `json:"time"`
}

// Credentials are an S3 access key and its secret; the secret is shown
// only in the answer that generated it.
type Credentials struct {
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
}

// CreateJobRequest is the body of jobs/create.
type CreateJobRequest struct {
	JobType    string            `json:"jobType"`
	BucketName string            `json:"bucketName"`
	JobParams  map[string]string `json:"jobParams,omitempty"`
}

// ListJobsRequest is the body of jobs/list; zero fields do not filter.
type ListJobsRequest struct {
	BucketName string  `json:"bucketName,omitempty"`
	UserID     *UserID `json:"userId,omitempty"`
	JobType    string  `json:"jobType,omitempty"`
	JobState   string  `json:"jobState,omitempty"`
	PageSize   int     `json:"pageSize,omitempty"`
	PageToken  string  `json:"pageToken,omitempty"`
}

// JobPage is one page of jobs/list; PageToken is empty on the last page.
type JobPage struct {
	Jobs      []JobStatus `json:"jobs"`
	PageToken string      `json:"pageToken,omitempty"`
}

// FailurePage is one page of jobs/failures.
type FailurePage struct {
	Failures  []JobFailure `json:"failures"`
	PageToken string       `json:"pageToken,omitempty"`
}

// UserPage is one page of user/list.
type UserPage struct {
	Users     []User `json:"users"`
	PageToken string `json:"pageToken,omitempty"`
}

// BucketPage is one page of user/list_buckets.
type BucketPage struct {
	Buckets   []Bucket `json:"buckets"`
	PageToken string   `json:"pageToken,omitempty"`
}

// CreateUserRequest is the body of user/create.
type CreateUserRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// pageRequest is the paging body shared by the list endpoints.
type pageRequest struct {
	PageSize  int    `json:"pageSize,omitempty"`
	PageToken string `json:"pageToken,omitempty"`
}

func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
