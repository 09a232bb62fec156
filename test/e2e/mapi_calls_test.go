package e2e

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Typed calls of the MAPI endpoints the tests use most, on top of
// mapiClient. The structs spell the contract's JSON names.

const metricRecon = "METRIC_RECONCILIATION"

// mapiJob is the contract's JobStatus object, with Quarry's additive fields.
type mapiJob struct {
	JobID struct {
		ID int32 `json:"id"`
	} `json:"jobId"`
	JobState     string            `json:"jobState"`
	JobType      string            `json:"jobType"`
	StartTime    string            `json:"startTime"`
	CompleteTime string            `json:"completeTime"`
	JobParams    map[string]string `json:"jobParams"`
	JobStats     mapiJobStats      `json:"jobStats"`
	BucketName   string            `json:"bucketName"`
	Message      string            `json:"message"`
	Progress     *int              `json:"progress"`
	Result       *mapiReconResult  `json:"result"`
}

type mapiJobStats struct {
	Processed int64 `json:"processed"`
	Failed    int64 `json:"failed"`
	Total     int64 `json:"total"`
	Skipped   int64 `json:"skipped"`
	Bytes     int64 `json:"bytes"`
}

// mapiReconResult is METRIC_RECONCILIATION's result in the job status.
type mapiReconResult struct {
	UsageBefore  mapiUsage `json:"usageBefore"`
	UsageCounted mapiUsage `json:"usageCounted"`
	UsageAfter   mapiUsage `json:"usageAfter"`
	Drift        mapiUsage `json:"drift"`
	Corrected    bool      `json:"corrected"`
}

type mapiUsage struct {
	Objects      int64 `json:"objects"`
	Bytes        int64 `json:"bytes"`
	Versions     int64 `json:"versions"`
	VersionBytes int64 `json:"versionBytes"`
}

func (j mapiJob) ID() int32 { return j.JobID.ID }

// ended reports whether the job reached COMPLETE, FAILED or CANCELLED.
func (j mapiJob) ended() bool {
	switch j.JobState {
	case "COMPLETE", "FAILED", "CANCELLED":
		return true
	}
	return false
}

// createJob creates a job and fails the test unless it is accepted.
func (c *mapiClient) createJob(jobType, bucket string, params map[string]string) mapiJob {
	c.t.Helper()
	body := map[string]any{"jobType": jobType, "bucketName": bucket}
	if params != nil {
		body["jobParams"] = params
	}
	var out struct {
		JobStatus mapiJob `json:"jobStatus"`
	}
	c.must("jobs/create", body, &out)
	return out.JobStatus
}

func (c *mapiClient) jobStatus(id int32) mapiJob {
	c.t.Helper()
	var out struct {
		Status mapiJob `json:"status"`
	}
	c.must("jobs/status", jobIDBody(id), &out)
	return out.Status
}

func jobIDBody(id int32) map[string]any {
	return map[string]any{"jobId": map[string]any{"id": id}}
}

// waitJob polls the job's status until done says yes, and fails the test
// after timeout.
func (c *mapiClient) waitJob(id int32, timeout time.Duration, what string, done func(mapiJob) bool) mapiJob {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		j := c.jobStatus(id)
		// Every status read on the way must keep the counters' promise:
		// never more handled than found, exactly as many once COMPLETE.
		if st := j.JobStats; st.Processed+st.Failed+st.Skipped > st.Total {
			c.t.Errorf("job %d %s: processed %d + failed %d + skipped %d exceeds total %d",
				id, j.JobState, st.Processed, st.Failed, st.Skipped, st.Total)
		}
		wantCounterIdentity(c.t, "job status", j)
		if done(j) {
			return j
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %d: not %s after %v; last status %+v", id, what, timeout, j)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitJobEnded polls until the job ended, whichever way.
func (c *mapiClient) waitJobEnded(id int32, timeout time.Duration) mapiJob {
	c.t.Helper()
	return c.waitJob(id, timeout, "ended", mapiJob.ended)
}

// listJobs returns every job the filter selects, following pageToken.
func (c *mapiClient) listJobs(filter map[string]any) []mapiJob {
	c.t.Helper()
	var all []mapiJob
	body := map[string]any{}
	for k, v := range filter {
		body[k] = v
	}
	for {
		var out struct {
			Jobs      []mapiJob `json:"jobs"`
			PageToken string    `json:"pageToken"`
		}
		c.must("jobs/list", body, &out)
		all = append(all, out.Jobs...)
		if out.PageToken == "" {
			return all
		}
		body["pageToken"] = out.PageToken
	}
}

// createUser creates an account (as an admin) and returns its id.
func (c *mapiClient) createUser(name, password, role string) int64 {
	c.t.Helper()
	var out struct {
		User struct {
			ID struct {
				ID int64 `json:"id"`
			} `json:"id"`
			Username string `json:"username"`
			Role     string `json:"role"`
		} `json:"user"`
	}
	c.must("user/create", map[string]any{"username": name, "password": password, "role": role}, &out)
	if out.User.Username != name || out.User.Role != role || out.User.ID.ID == 0 {
		c.t.Fatalf("user/create %s answered %+v", name, out.User)
	}
	return out.User.ID.ID
}

// generateCredentials issues S3 keys to the caller.
func (c *mapiClient) generateCredentials() (accessKey, secretKey string) {
	c.t.Helper()
	var out struct {
		AccessKey string `json:"accessKey"`
		SecretKey string `json:"secretKey"`
	}
	c.must("s3/user/generate_credentials", nil, &out)
	if out.AccessKey == "" || out.SecretKey == "" {
		c.t.Fatalf("generate_credentials answered empty keys: %+v", out)
	}
	return out.AccessKey, out.SecretKey
}

// mapiUser is a USER-role account made through the MAPI, logged in, with
// S3 keys from generate_credentials and one bucket of its own.
type mapiUser struct {
	ID       int64
	Name     string
	Password string
	MAPI     *mapiClient
	S3       *s3.Client
	Bucket   string
}

// newMAPIUser has root create a USER account, logs it in, gets it S3 keys
// and creates a bucket with them.
func newMAPIUser(t *testing.T, srv *server, root *mapiClient, name string) *mapiUser {
	t.Helper()
	u := &mapiUser{Name: name, Password: "password-" + name + "-123"}
	u.ID = root.createUser(name, u.Password, "USER")
	u.MAPI = mapiLogin(t, srv, name, u.Password)
	ak, sk := u.MAPI.generateCredentials()
	u.S3 = s3Client(srv.S3URL, ak, sk)
	u.Bucket = bucketName(t)
	if _, err := u.S3.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(u.Bucket)}); err != nil {
		t.Fatalf("CreateBucket %s as %s: %v", u.Bucket, name, err)
	}
	return u
}

// as returns a copy of u whose client reports to t (see mapiClient.as).
func (u *mapiUser) as(t *testing.T) *mapiUser {
	uu := *u
	uu.MAPI = u.MAPI.as(t)
	return &uu
}
