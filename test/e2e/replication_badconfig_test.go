package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestPutBucketReplicationRejectsBadConfigurationsWithAWSErrors(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, false)
	unversioned := p.SrcBucket + "-unversioned"
	createBucketOn(t, p.SrcS3, unversioned)
	unknownARN := "arn:quarry:replication:" + testRegion + ":0000000000000000:" + p.DstBucket

	tests := []struct {
		name   string
		bucket string
		rules  []replRule
		code   string
	}{
		{"an unversioned source bucket is InvalidRequest", unversioned,
			[]replRule{{ID: "r1", ARN: p.ARN}}, "InvalidRequest"},
		{"a destination ARN no target has is InvalidArgument", p.SrcBucket,
			[]replRule{{ID: "r1", ARN: unknownARN}}, "InvalidArgument"},
		{"two rules with one ID are InvalidArgument", p.SrcBucket,
			[]replRule{{ID: "same", ARN: p.ARN, Prefix: "a/", Priority: 1}, {ID: "same", ARN: p.ARN, Prefix: "b/", Priority: 2}}, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := putReplication(t, p.SrcS3, tt.bucket, tt.rules...)
			wantErr(t, "PutBucketReplication", err, http.StatusBadRequest, tt.code)
		})
	}

	malformed := []struct{ name, body string }{
		{"truncated XML", `<ReplicationConfiguration><Rule><ID>x</ID>`},
		{"a rule without a destination", `<ReplicationConfiguration><Role>r</Role><Rule><ID>x</ID><Status>Enabled</Status><Prefix></Prefix></Rule></ReplicationConfiguration>`},
		{"a rule status that is neither Enabled nor Disabled", `<ReplicationConfiguration><Rule><ID>x</ID><Status>On</Status><Prefix></Prefix><Destination><Bucket>` + p.ARN + `</Bucket></Destination></Rule></ReplicationConfiguration>`},
	}
	for _, tt := range malformed {
		t.Run(tt.name+" is MalformedXML", func(t *testing.T) {
			body := []byte(tt.body)
			r := do(t, p.Src, rawRequest{Method: http.MethodPut, Target: "/" + p.SrcBucket + "?replication", Body: body,
				Header: map[string]string{"Content-MD5": contentMD5(body), "Content-Type": "application/xml"}})
			wantRaw(t, "PUT ?replication", r, http.StatusBadRequest, "MalformedXML")
		})
	}

	// Nothing of a refused configuration was stored.
	_, err := p.SrcS3.GetBucketReplication(t.Context(), &s3.GetBucketReplicationInput{Bucket: aws.String(p.SrcBucket)})
	wantErr(t, "GetBucketReplication after refused configurations", err, http.StatusNotFound, "ReplicationConfigurationNotFoundError")
}

func TestReplicationTargetsAndJobsRejectBadInputWithClearErrors(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, false)
	c := p.MAPI

	t.Run("a target with a bad endpoint URL is refused", func(t *testing.T) {
		for _, endpoint := range []string{"not a url", "ftp://" + p.Dst.S3Addr, "http://user:pw@" + p.Dst.S3Addr, "http://"} {
			r := c.as(t).post("replication_target/create", targetBody("bad-endpoint", endpoint, p.DstBucket, rootAccessKey, rootSecretKey))
			wantMAPIError(t, "replication_target/create with endpoint "+endpoint, r, http.StatusBadRequest, "INVALID_REQUEST", "endpoint")
		}
	})

	t.Run("testing a target on a dead port says why", func(t *testing.T) {
		dead, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		arn := createTarget(c.as(t), "dead-port", &server{S3URL: "http://" + dead, AccessKey: rootAccessKey, SecretKey: rootSecretKey}, p.DstBucket)
		r := c.as(t).post("replication_target/test", map[string]any{"arn": arn})
		wantMAPIError(t, "replication_target/test of "+dead, r, http.StatusBadRequest, "INVALID_REQUEST", dead)
		if e, _ := r.apiError(); !strings.Contains(strings.ToLower(e.Message), "connect") {
			t.Errorf("the reason %q does not say the connection failed", e.Message)
		}
		var ok struct {
			OK bool `json:"ok"`
		}
		c.as(t).must("replication_target/test", map[string]any{"arn": p.ARN}, &ok)
		if !ok.OK {
			t.Errorf("replication_target/test of the live destination answered %+v", ok)
		}
	})

	t.Run("a target in use cannot be deleted until the configuration is gone", func(t *testing.T) {
		p.mustReplicate(t, replRule{})
		r := c.as(t).post("replication_target/delete", map[string]any{"arn": p.ARN})
		wantMAPIError(t, "replication_target/delete of a target in use", r, http.StatusConflict, "CONFLICT", p.SrcBucket)
		var listed struct {
			Targets []mapiTarget `json:"targets"`
		}
		c.as(t).must("replication_target/list", map[string]any{}, &listed)
		found := false
		for _, tg := range listed.Targets {
			found = found || tg.ARN == p.ARN
		}
		if !found {
			t.Fatalf("the target in use is gone after a refused delete: %+v", listed.Targets)
		}
	})

	t.Run("BATCH_REPLICATE with bad jobParams is a 400", func(t *testing.T) {
		for _, params := range []map[string]string{
			{"destinationArn": p.ARN},
			{"destination": "not-an-arn"},
			{"replicationFilter": "SOME"},
			{"replicationFilter": "new"},
		} {
			r := c.as(t).post("jobs/create", map[string]any{"jobType": batchReplicate, "bucketName": p.SrcBucket, "jobParams": params})
			wantMAPIError(t, "jobs/create BATCH_REPLICATE with "+mustJSON(params), r, http.StatusBadRequest, "INVALID_REQUEST", "")
		}
	})

	t.Run("a destination the configuration does not name is refused at create", func(t *testing.T) {
		unknown := "arn:quarry:replication:" + testRegion + ":0000000000000000:nowhere"
		body := map[string]any{"jobType": batchReplicate, "bucketName": p.SrcBucket, "jobParams": map[string]string{"destination": unknown}}
		r := c.as(t).post("jobs/create", body)
		wantMAPIError(t, "jobs/create with an unknown destination", r, http.StatusBadRequest, "INVALID_REQUEST", unknown)
	})

	t.Run("a job on a bucket without a configuration fails saying so", func(t *testing.T) {
		bare := p.SrcBucket + "-bare"
		createBucketOn(t, p.SrcS3, bare)
		j := runBatch(c.as(t), bare, nil, time.Minute)
		if j.JobState != "FAILED" || !strings.Contains(j.Message, "replication configuration") {
			t.Errorf("BATCH_REPLICATE on a bucket without a replication configuration ended %s with message %q; want FAILED saying it has none", j.JobState, j.Message)
		}
	})

	t.Run("a target no longer in use can be deleted", func(t *testing.T) {
		if _, err := p.SrcS3.DeleteBucketReplication(t.Context(), &s3.DeleteBucketReplicationInput{Bucket: aws.String(p.SrcBucket)}); err != nil {
			t.Fatalf("DeleteBucketReplication: %v", err)
		}
		c.as(t).must("replication_target/delete", map[string]any{"arn": p.ARN}, nil)
	})
}

// wantMAPIError fails t unless r is the contract's error body with that
// status and code, and (if not empty) a message mentioning mention.
func wantMAPIError(t *testing.T, what string, r mapiResponse, status int, code, mention string) {
	t.Helper()
	e, ok := r.apiError()
	if r.Status != status || !ok || e.Code != code || !strings.Contains(e.Message, mention) {
		t.Errorf("%s: got %s; want %d %s with a message mentioning %q", what, r, status, code, mention)
	}
}
