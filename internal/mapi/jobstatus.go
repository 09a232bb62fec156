package mapi

import (
	"encoding/json"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// idJSON is the MAPI's wrapped id: {"id": n}.
type idJSON struct {
	ID int64 `json:"id"`
}

// jobStatus is the MAPI JobStatus object: the vendor's fields, then
// Quarry's additive ones (old clients ignore them).
type jobStatus struct {
	JobID        idJSON            `json:"jobId"`
	JobState     meta.JobState     `json:"jobState"`
	JobType      string            `json:"jobType"`
	StartTime    string            `json:"startTime"`
	CompleteTime string            `json:"completeTime,omitempty"`
	JobParams    map[string]string `json:"jobParams"`
	JobStats     meta.JobStats     `json:"jobStats"`
	BucketName   string            `json:"bucketName"`

	Message  string          `json:"message,omitempty"`
	UserID   idJSON          `json:"userId"`
	Progress *int            `json:"progress,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// newJobStatus renders j. completeTime appears only once the job ended;
// progress only once the job knows how many candidates it has.
func newJobStatus(j *meta.Job) jobStatus {
	s := jobStatus{
		JobID:      idJSON{ID: int64(j.ID)},
		JobState:   j.State,
		JobType:    j.Type,
		StartTime:  rfc3339(j.CreatedAt),
		JobParams:  j.Params,
		JobStats:   j.Stats,
		BucketName: j.Bucket,
		Message:    j.Message,
		UserID:     idJSON{ID: j.UserID},
		Progress:   progress(j),
	}
	if s.JobParams == nil {
		s.JobParams = map[string]string{}
	}
	if j.State.Terminal() && !j.CompletedAt.IsZero() {
		s.CompleteTime = rfc3339(j.CompletedAt)
	}
	if isJSONObject(j.Result) {
		s.Result = j.Result
	}
	return s
}

// progress is the percentage of candidates handled, 0 to 100; a COMPLETE
// job is at 100 whatever its counters say.
func progress(j *meta.Job) *int {
	if j.Stats.Total <= 0 {
		return nil
	}
	pct := 100
	if j.State != meta.JobComplete {
		done := j.Stats.Processed + j.Stats.Failed + j.Stats.Skipped
		pct = int(min(100, max(0, done*100/j.Stats.Total)))
	}
	return &pct
}

// isJSONObject guards the response against a Result that is not a JSON
// object, which would otherwise break the whole body.
func isJSONObject(b []byte) bool {
	var m map[string]json.RawMessage
	return len(b) > 0 && json.Unmarshal(b, &m) == nil && m != nil
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
