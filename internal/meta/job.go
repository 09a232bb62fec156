package meta

import (
	"errors"
	"fmt"
	"time"
)

// ErrLeaseLost is returned when a job's lease is no longer held by the
// engine instance that tries to write the job: another instance took it
// over, so the writer must stop without changing anything.
var ErrLeaseLost = errors.New("meta: job lease lost")

// JobState is a job's state, as the MAPI names it.
type JobState string

// Job states. A job moves EXAMINING → PROCESSING → EXECUTING → COMPLETE, or
// ends FAILED or CANCELLED.
const (
	JobExamining  JobState = "EXAMINING"
	JobProcessing JobState = "PROCESSING"
	JobExecuting  JobState = "EXECUTING"
	JobComplete   JobState = "COMPLETE"
	JobFailed     JobState = "FAILED"
	JobCancelled  JobState = "CANCELLED"
)

// Terminal reports whether the state is final.
func (s JobState) Terminal() bool {
	return s == JobComplete || s == JobFailed || s == JobCancelled
}

// Valid reports whether s is one of the six states.
func (s JobState) Valid() bool {
	switch s {
	case JobExamining, JobProcessing, JobExecuting, JobComplete, JobFailed, JobCancelled:
		return true
	}
	return false
}

// JobStats are a job's progress counters. They only grow while the job runs
// and are written in the same transaction as the work they count.
type JobStats struct {
	Processed int64 `json:"processed"`
	Failed    int64 `json:"failed"`
	Total     int64 `json:"total"`
	Skipped   int64 `json:"skipped"`
	Bytes     int64 `json:"bytes"`
}

// Job is a durable batch job on a bucket.
type Job struct {
	// ID is an int32, unique and never reused (MAPI's jobId.id); see
	// CreateJob.
	ID     int32
	Type   string
	Bucket string
	// OwnerID is the bucket's owner when the job was created: who may see
	// and cancel the job besides admins.
	OwnerID int64
	// UserID is who created the job.
	UserID int64
	Params map[string]string
	State  JobState
	Stats  JobStats
	// Result holds type-specific outcome fields (JSON object), shown as
	// additive fields of the job status.
	Result []byte
	// Message says why a job FAILED (or other notes for people).
	Message string
	// Cursor is the runner's opaque checkpoint: where to resume.
	Cursor []byte
	// CancelRequested is set by a cancel while the job is held by a worker.
	CancelRequested bool
	CreatedAt       time.Time
	CompletedAt     time.Time // zero until the job ended
	LeaseOwner      string    // empty when no engine holds the job
	LeaseExpires    time.Time
	// Attempts counts how many times an engine claimed the job.
	Attempts int
}

// ActiveJobError is returned by CreateJob when a job of the same type is
// already active on the bucket. It matches ErrExists with errors.Is.
type ActiveJobError struct{ ID int32 }

func (e *ActiveJobError) Error() string {
	return fmt.Sprintf("meta: job %d of this type is already active on the bucket", e.ID)
}

// Is makes errors.Is(err, ErrExists) true.
func (e *ActiveJobError) Is(target error) bool { return target == ErrExists }

// JobFailure records one object a job could not handle.
type JobFailure struct {
	ID        int64
	JobID     int32
	Key       string
	VersionID string
	Reason    string
	Time      time.Time
}

// JobFilter selects jobs for ListJobs. Zero fields do not filter.
type JobFilter struct {
	Bucket  string
	OwnerID int64 // jobs on buckets owned by this user
	UserID  int64 // jobs created by this user
	Type    string
	State   JobState
	// BeforeID lists jobs with a smaller id (paging newest first); 0 starts
	// at the newest.
	BeforeID int32
	Limit    int
}

// JobTx reads and writes jobs and their failures.
type JobTx interface {
	// CreateJob inserts j (not terminal) and sets j.ID. When a job of the
	// same type is active (not terminal) on the bucket it returns an
	// *ActiveJobError naming that job.
	//
	// Ids come from a counter of the store's own (a sequence in
	// PostgreSQL), not from the jobs present: they are positive int32s,
	// larger than every id handed out before, and never reused, even once
	// the jobs that had them were deleted or the transactions that drew
	// them rolled back (so ids may have gaps). Past the last int32 it
	// fails rather than reuse one.
	CreateJob(j *Job) error
	// GetJob returns ErrNotFound when absent.
	GetJob(id int32) (*Job, error)
	// ListJobs lists jobs newest first (descending id).
	ListJobs(f JobFilter) ([]Job, error)
	// ClaimJob takes the oldest non-terminal job that no engine holds, or
	// whose lease expired before now: it sets LeaseOwner = owner,
	// LeaseExpires = until and increments Attempts. ErrNotFound when none.
	//
	// Claims made at once, by engines on one database in their own Update
	// transactions, never both win a job: each job is claimed by one of
	// them, the others take another job or get ErrNotFound. A store whose
	// writers run concurrently passes over a job another claimer is taking
	// rather than waiting for it (PostgreSQL: FOR UPDATE SKIP LOCKED), so
	// "oldest" is the oldest not being claimed at that moment.
	ClaimJob(owner string, now, until time.Time) (*Job, error)
	// RenewLease extends the lease owner holds on the job and returns the
	// job as stored (to see CancelRequested); ErrLeaseLost when owner no
	// longer holds it.
	RenewLease(id int32, owner string, until time.Time) (*Job, error)
	// SaveJob writes j's State, Stats, Result, Message, Cursor, CompletedAt
	// and lease fields, if owner holds the lease; ErrLeaseLost otherwise. A
	// terminal state releases the job from the active-job rule.
	SaveJob(j *Job, owner string) error
	// CancelJob ends a job that no engine holds (or whose lease expired at
	// now) as CANCELLED, or sets CancelRequested on a held job, and returns
	// the job as stored afterwards. It does nothing to a terminal job.
	CancelJob(id int32, now time.Time) (*Job, error)
	AddJobFailure(f *JobFailure) error
	// ListJobFailures lists failures with ID > afterID in ascending order.
	ListJobFailures(jobID int32, afterID int64, limit int) ([]JobFailure, error)
	// DeleteJobsBefore removes terminal jobs that completed before t, with
	// their failures, and returns how many jobs it removed.
	DeleteJobsBefore(t time.Time) (int, error)
	// CountUsage recounts a bucket's usage from its version rows (what the
	// counters should say).
	CountUsage(bucket string) (Usage, error)
	// CountVersions counts a bucket's version rows, delete markers
	// included, whose keys start with prefix: the candidates of a job that
	// scans every version. ErrNotFound when the bucket does not exist.
	CountVersions(bucket, prefix string) (int64, error)
	// CountJobs counts the stored jobs by type and state.
	CountJobs() ([]JobCount, error)
}

// JobCount is how many stored jobs have a type and state.
type JobCount struct {
	Type  string
	State JobState
	Count int64
}
