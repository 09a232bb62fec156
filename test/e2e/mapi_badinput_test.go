package e2e

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// mapiEndpoints are the JSON endpoints the MAPI serves in this issue.
var mapiEndpoints = []string{
	"jobs/create", "jobs/status", "jobs/list", "jobs/cancel", "jobs/failures",
	"user/info", "user/list_buckets", "s3/user/generate_credentials", "user/revoke_credentials",
	"serial_number/get", "region/identity",
	"user/create", "user/list", "user/delete",
	"user/lookup", "serial_number/set", "license/list",
	"certificates/list", "certificates/get", "certificates/delete",
}

// mapiOtherEndpoints are served too but take no JSON body: a GET, a file
// sent as the body, or an endpoint Quarry answers 501.
var mapiOtherEndpoints = []string{
	"galaxy/info", "license/add", "certificates/add",
	"kmip/list_servers", "storage_class/list", "storage_fault_domain/list",
}

// badInput is one request that must be refused.
type badInput struct {
	name     string
	endpoint string
	body     []byte
	status   int
}

// codeFor is the error code the contract pairs with a status.
var codeFor = map[int]string{
	http.StatusBadRequest:            "INVALID_REQUEST",
	http.StatusNotFound:              "NOT_FOUND",
	http.StatusConflict:              "CONFLICT",
	http.StatusRequestEntityTooLarge: "PAYLOAD_TOO_LARGE",
}

// badInputs builds the table: bodies that every endpoint must refuse, then
// each endpoint's own mistakes. bucket is a bucket of the caller's, job a
// finished job on it.
func badInputs(bucket string, job int32) []badInput {
	var cases []badInput
	huge := []byte(`{"jobType":"METRIC_RECONCILIATION","bucketName":"` + strings.Repeat("a", 1<<20+10) + `"}`)
	for _, ep := range mapiEndpoints {
		for _, g := range []struct {
			name   string
			body   string
			status int
		}{
			{"malformed JSON", `{"jobType":`, http.StatusBadRequest},
			{"a trailing comma", `{"pageSize": 10,}`, http.StatusBadRequest},
			{"a JSON array", `[1, 2]`, http.StatusBadRequest},
			{"a JSON string", `"hello"`, http.StatusBadRequest},
			{"two JSON objects", `{} {}`, http.StatusBadRequest},
			{"a body over 1 MiB", string(huge), http.StatusRequestEntityTooLarge},
		} {
			cases = append(cases, badInput{g.name, ep, []byte(g.body), g.status})
		}
	}
	mc := `"jobType":"METRIC_RECONCILIATION"`
	b := fmt.Sprintf(`"bucketName":%q`, bucket)
	id := func(v string) string { return `{"jobId":{"id":` + v + `}}` }
	specific := []struct {
		endpoint, name, body string
		status               int
	}{
		{"jobs/create", "an empty object (no jobType)", `{}`, 400},
		{"jobs/create", "a number as jobType", `{"jobType":5,` + b + `}`, 400},
		{"jobs/create", "an array as bucketName", `{` + mc + `,"bucketName":["x"]}`, 400},
		{"jobs/create", "a string as jobParams", `{` + mc + `,` + b + `,"jobParams":"dryRun=true"}`, 400},
		{"jobs/create", "a boolean jobParams value", `{` + mc + `,` + b + `,"jobParams":{"dryRun":true}}`, 400},
		{"jobs/create", "a null jobParams value", `{` + mc + `,` + b + `,"jobParams":{"dryRun":null}}`, 400},
		{"jobs/create", "an unknown jobType", `{"jobType":"METRIC_RECON",` + b + `}`, 400},
		{"jobs/create", "a lower-case jobType", `{"jobType":"metric_reconciliation",` + b + `}`, 400},
		{"jobs/create", "an unknown jobParams key", `{` + mc + `,` + b + `,"jobParams":{"dryrun":"true"}}`, 400},
		{"jobs/create", "a bad boolean jobParams value", `{` + mc + `,` + b + `,"jobParams":{"dryRun":"yes"}}`, 400},
		{"jobs/create", "cleanOrphans without verifyData", `{` + mc + `,` + b + `,"jobParams":{"cleanOrphans":"true"}}`, 400},
		{"jobs/create", "a prefix longer than any S3 key", `{` + mc + `,` + b + `,"jobParams":{"prefix":"` + strings.Repeat("p", 1025) + `"}}`, 400},
		{"jobs/create", "a prefix holding NUL", `{` + mc + `,` + b + `,"jobParams":{"prefix":"a\u0000b"}}`, 400},
		{"jobs/create", "a missing bucketName", `{` + mc + `}`, 400},
		{"jobs/create", "an empty bucketName", `{` + mc + `,"bucketName":""}`, 400},
		{"jobs/create", "an unknown bucket", `{` + mc + `,"bucketName":"no-such-bucket-anywhere"}`, 404},
		{"jobs/create", "an empty jobType", `{"jobType":"",` + b + `}`, 400},
		{"jobs/create", "a jobType with a leading space", `{"jobType":" METRIC_RECONCILIATION",` + b + `}`, 400},
		{"jobs/list", "an unknown jobType", `{"jobType":"NOPE"}`, 400},
		{"jobs/list", "an unknown jobState", `{"jobState":"DONE"}`, 400},
		{"jobs/list", "a string pageSize", `{"pageSize":"10"}`, 400},
		{"jobs/list", "a negative pageSize", `{"pageSize":-5}`, 400},
		{"jobs/list", "a forged pageToken", `{"pageToken":"%%%not-a-token"}`, 400},
		{"jobs/list", "a number as userId", `{"userId":3}`, 400},
		{"jobs/list", "a number as bucketName", `{"bucketName":7}`, 400},
		{"jobs/failures", "a string pageSize", `{"jobId":{"id":` + fmt.Sprint(job) + `},"pageSize":"10"}`, 400},
		{"jobs/failures", "a negative pageSize", `{"jobId":{"id":` + fmt.Sprint(job) + `},"pageSize":-1}`, 400},
		{"jobs/failures", "a forged pageToken", `{"jobId":{"id":` + fmt.Sprint(job) + `},"pageToken":"%%%"}`, 400},
		{"user/list_buckets", "a string pageSize", `{"pageSize":"x"}`, 400},
		{"user/list_buckets", "a negative pageSize", `{"pageSize":-1}`, 400},
		{"user/list_buckets", "a forged pageToken", `{"pageToken":"%%%"}`, 400},
		{"user/revoke_credentials", "a number as accessKey", `{"accessKey":5}`, 400},
		{"user/revoke_credentials", "an unknown accessKey", `{"accessKey":"NOSUCHACCESSKEY00000"}`, 404},
		{"user/create", "an empty object", `{}`, 400},
		{"user/create", "a number as username", `{"username":5,"password":"password-123456","role":"USER"}`, 400},
		{"user/create", "an unknown role", `{"username":"bad-role-user","password":"password-123456","role":"GOD"}`, 400},
		{"user/create", "a missing password", `{"username":"no-password-user","role":"USER"}`, 400},
		{"user/create", "an existing username", `{"username":"root","password":"password-123456","role":"USER"}`, 409},
		{"user/list", "a string pageSize", `{"pageSize":"x"}`, 400},
		{"user/list", "a negative pageSize", `{"pageSize":-1}`, 400},
		{"user/list", "a forged pageToken", `{"pageToken":"%%%"}`, 400},
		{"user/delete", "an empty object", `{}`, 400},
		{"user/delete", "a string id", `{"id":"1"}`, 400},
		{"user/delete", "a string id.id", `{"id":{"id":"x"}}`, 400},
		{"user/delete", "an unknown user", `{"id":{"id":999999}}`, 404},
	}
	for _, ep := range []string{"jobs/status", "jobs/cancel", "jobs/failures"} {
		specific = append(specific, []struct {
			endpoint, name, body string
			status               int
		}{
			{ep, "an empty object (no jobId)", `{}`, 400},
			{ep, "a number as jobId", `{"jobId":17}`, 400},
			{ep, "a string as jobId.id", id(`"17"`), 400},
			{ep, "a fraction as jobId.id", id(`1.5`), 400},
			{ep, "a jobId.id over int32", id(`4294967296`), 400},
			{ep, "an unknown job", id(`2147483647`), 404},
		}...)
	}
	for _, s := range specific {
		cases = append(cases, badInput{s.name, s.endpoint, []byte(s.body), s.status})
	}
	return cases
}

// mapiState is what the refused requests must leave unchanged.
type mapiState struct {
	Jobs    []int32
	Users   []string
	Buckets []string
	Keys    []string
}

func snapshotState(t *testing.T, c *mapiClient, st meta.Store, rootID int64) mapiState {
	t.Helper()
	var s mapiState
	for _, j := range c.listJobs(nil) {
		s.Jobs = append(s.Jobs, j.ID())
	}
	var users struct {
		Users []struct {
			Username string `json:"username"`
		} `json:"users"`
	}
	c.must("user/list", map[string]any{"pageSize": 1000}, &users)
	for _, u := range users.Users {
		s.Users = append(s.Users, u.Username)
	}
	var buckets struct {
		Buckets []struct {
			Name string `json:"name"`
		} `json:"buckets"`
	}
	c.must("user/list_buckets", map[string]any{"pageSize": 1000}, &buckets)
	for _, b := range buckets.Buckets {
		s.Buckets = append(s.Buckets, b.Name)
	}
	err := st.View(t.Context(), func(tx meta.Tx) error {
		keys, err := tx.ListAccessKeys(rootID)
		for _, k := range keys {
			s.Keys = append(s.Keys, k.AccessKey)
		}
		return err
	})
	if err != nil {
		t.Fatalf("list root's access keys: %v", err)
	}
	slices.Sort(s.Keys)
	return s
}

func TestBadInputIsRefusedOnEveryEndpoint(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{}) // its own, so that nothing else changes its state
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "x", []byte("x"))
	root := mapiRoot(t, srv)
	job := root.waitJobEnded(root.createJob(metricRecon, bucket, nil).ID(), time.Minute)
	var info struct {
		ID struct {
			ID int64 `json:"id"`
		} `json:"id"`
	}
	root.must("user/info", nil, &info)
	st := openMeta(t, srv)
	before := snapshotState(t, root, st, info.ID.ID)

	for _, tc := range badInputs(bucket, job.ID()) {
		t.Run(tc.endpoint+" refuses "+tc.name, func(t *testing.T) {
			root := root.as(t)
			resp := root.post(tc.endpoint, tc.body)
			if resp.Status >= 500 {
				t.Fatalf("server error: %s", resp)
			}
			e, ok := resp.apiError()
			if !ok {
				t.Errorf("status %d with body %q, want a JSON {code, message, details}", resp.Status, tail(string(resp.Body), 300))
			}
			if resp.Status != tc.status || e.Code != codeFor[tc.status] {
				t.Errorf("got %s, want %d %s", resp, tc.status, codeFor[tc.status])
			}
		})
	}

	if after := snapshotState(t, root, st, info.ID.ID); !reflect.DeepEqual(after, before) {
		t.Errorf("refused requests changed the server's state:\nbefore %+v\nafter  %+v", before, after)
	}
	if j := root.jobStatus(job.ID()); j.JobState != "COMPLETE" {
		t.Errorf("the finished job is %s after the bad requests", j.JobState)
	}
}

func TestBadTokenRequestsAreRefused(t *testing.T) {
	t.Parallel()
	c := newMAPIClient(t, sharedSrv)
	for _, tc := range []struct {
		name   string
		body   string
		status int
		err    string
	}{
		{"no grant_type", "client_id=" + mapiClientID + "&username=root&password=x", 400, "invalid_request"},
		{"an unknown grant_type", "grant_type=client_credentials&client_id=" + mapiClientID, 400, "unsupported_grant_type"},
		{"a malformed form", "grant_type=password&client_id=%zz", 400, "invalid_request"},
		{"a body over 1 MiB", "grant_type=password&client_id=" + mapiClientID + "&password=" + strings.Repeat("a", 1<<20+10), 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.as(t)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, c.base+mapiTokenPath, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp := c.send(req)
			if resp.Status != tc.status || (tc.err != "" && !strings.Contains(string(resp.Body), `"error":"`+tc.err+`"`)) {
				t.Errorf("got %s, want %d %s", resp, tc.status, tc.err)
			}
		})
	}
}
