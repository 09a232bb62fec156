package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The replication tests run two real quarry processes: a source whose
// versioned bucket replicates to a bucket on a destination, through a
// replication target created over the source's MAPI with the destination's
// root keys. This file sets such a pair up.

const batchReplicate = "BATCH_REPLICATE"

// replPair is a source server and a destination server, one bucket on
// each, and the source's target naming the destination bucket. The
// replication configuration is left to the test: objects written before it
// exist are "existing objects" that only BATCH_REPLICATE copies.
type replPair struct {
	Src, Dst             *server
	SrcS3, DstS3         *s3.Client
	SrcBucket, DstBucket string
	// MAPI is a root client of the source.
	MAPI *mapiClient
	// ARN is the source's replication target for DstBucket.
	ARN string
}

// newReplPair starts both servers, creates a versioned bucket on the
// source and a bucket on the destination (versioned too if dstVersioned),
// and creates the target.
func newReplPair(t *testing.T, dstVersioned bool) *replPair {
	t.Helper()
	p := &replPair{Src: startServer(t, serverOptions{}), Dst: startServer(t, serverOptions{})}
	p.SrcS3 = s3Client(p.Src.S3URL, p.Src.AccessKey, p.Src.SecretKey)
	p.DstS3 = s3Client(p.Dst.S3URL, p.Dst.AccessKey, p.Dst.SecretKey)
	p.SrcBucket = bucketName(t)
	p.DstBucket = p.SrcBucket + "-dst"
	createBucketOn(t, p.SrcS3, p.SrcBucket)
	setVersioning(t, p.SrcS3, p.SrcBucket, types.BucketVersioningStatusEnabled)
	createBucketOn(t, p.DstS3, p.DstBucket)
	if dstVersioned {
		setVersioning(t, p.DstS3, p.DstBucket, types.BucketVersioningStatusEnabled)
	}
	p.MAPI = mapiRoot(t, p.Src)
	p.ARN = createTarget(p.MAPI, p.DstBucket, p.Dst, p.DstBucket)
	return p
}

func createBucketOn(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
}

// mapiTarget is a replication target as the MAPI shows it.
type mapiTarget struct {
	ARN      string `json:"arn"`
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
	Bucket   string `json:"bucket"`
}

// createTarget creates, through c, a target for bucket on dst with dst's
// root keys and returns its ARN.
func createTarget(c *mapiClient, name string, dst *server, bucket string) string {
	c.t.Helper()
	var out struct {
		Target mapiTarget `json:"target"`
	}
	c.must("replication_target/create", targetBody(name, dst.S3URL, bucket, dst.AccessKey, dst.SecretKey), &out)
	if out.Target.ARN == "" || out.Target.Bucket != bucket || out.Target.Endpoint != dst.S3URL {
		c.t.Fatalf("replication_target/create answered %+v", out.Target)
	}
	return out.Target.ARN
}

func targetBody(name, endpoint, bucket, ak, sk string) map[string]any {
	return map[string]any{
		"name": name, "endpoint": endpoint, "region": testRegion,
		"accessKey": ak, "secretKey": sk, "bucket": bucket,
	}
}

// replRule is one rule of a test's replication configuration.
type replRule struct {
	ID     string
	Prefix string
	ARN    string
	// Existing enables ExistingObjectReplication (stored and returned;
	// BATCH_REPLICATE copies objects written before the rule either way);
	// DeleteMarkers enables DeleteMarkerReplication.
	Existing      bool
	DeleteMarkers bool
	Priority      int32
}

func (r replRule) sdk() types.ReplicationRule {
	status := func(on bool) string {
		if on {
			return "Enabled"
		}
		return "Disabled"
	}
	return types.ReplicationRule{
		ID:          aws.String(r.ID),
		Priority:    aws.Int32(r.Priority),
		Status:      types.ReplicationRuleStatusEnabled,
		Filter:      &types.ReplicationRuleFilter{Prefix: aws.String(r.Prefix)},
		Destination: &types.Destination{Bucket: aws.String(r.ARN)},
		DeleteMarkerReplication: &types.DeleteMarkerReplication{
			Status: types.DeleteMarkerReplicationStatus(status(r.DeleteMarkers)),
		},
		ExistingObjectReplication: &types.ExistingObjectReplication{
			Status: types.ExistingObjectReplicationStatus(status(r.Existing)),
		},
	}
}

// putReplication sends PutBucketReplication with the SDK.
func putReplication(t *testing.T, c *s3.Client, bucket string, rules ...replRule) error {
	t.Helper()
	cfg := &types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::000000000000:role/quarry-e2e")}
	for _, r := range rules {
		cfg.Rules = append(cfg.Rules, r.sdk())
	}
	_, err := c.PutBucketReplication(t.Context(), &s3.PutBucketReplicationInput{
		Bucket: aws.String(bucket), ReplicationConfiguration: cfg,
	})
	return err
}

// mustReplicate configures the source bucket with one rule to the
// destination over every key.
func (p *replPair) mustReplicate(t *testing.T, r replRule) {
	t.Helper()
	if r.ARN == "" {
		r.ARN = p.ARN
	}
	if r.ID == "" {
		r.ID = "to-" + p.DstBucket
	}
	if err := putReplication(t, p.SrcS3, p.SrcBucket, r); err != nil {
		t.Fatalf("PutBucketReplication on %s: %v", p.SrcBucket, err)
	}
}

// runBatch creates a BATCH_REPLICATE job on bucket through c and waits for
// it to end.
func runBatch(c *mapiClient, bucket string, params map[string]string, timeout time.Duration) mapiJob {
	c.t.Helper()
	created := c.createJob(batchReplicate, bucket, params)
	return c.waitJobEnded(created.ID(), timeout)
}

// wantJobComplete fails t unless j ended COMPLETE with exactly these counts.
func wantJobComplete(t *testing.T, what string, j mapiJob, processed, failed int64) {
	t.Helper()
	if j.JobState != "COMPLETE" || j.JobStats.Processed != processed || j.JobStats.Failed != failed {
		t.Fatalf("%s: job %d ended %s (%q) with stats %+v, want COMPLETE with processed %d, failed %d",
			what, j.ID(), j.JobState, j.Message, j.JobStats, processed, failed)
	}
	wantCounterIdentity(t, what, j)
}

// wantCounterIdentity fails t unless a COMPLETE job handled exactly the
// candidates it found: processed + failed + skipped == total.
func wantCounterIdentity(t *testing.T, what string, j mapiJob) {
	t.Helper()
	s := j.JobStats
	if j.JobState == "COMPLETE" && s.Processed+s.Failed+s.Skipped != s.Total {
		t.Errorf("%s: job %d ended COMPLETE with processed %d + failed %d + skipped %d != total %d",
			what, j.ID(), s.Processed, s.Failed, s.Skipped, s.Total)
	}
}

// mapiFailure is one entry of jobs/failures.
type mapiFailure struct {
	Key       string `json:"key"`
	VersionID string `json:"versionId"`
	Reason    string `json:"reason"`
	Time      string `json:"time"`
}

// jobFailures returns every failure of job id, following pageToken.
func (c *mapiClient) jobFailures(id int32) []mapiFailure {
	c.t.Helper()
	body := jobIDBody(id)
	var all []mapiFailure
	for {
		var out struct {
			Failures  []mapiFailure `json:"failures"`
			PageToken string        `json:"pageToken"`
		}
		c.must("jobs/failures", body, &out)
		all = append(all, out.Failures...)
		if out.PageToken == "" {
			return all
		}
		body["pageToken"] = out.PageToken
	}
}

// listEntry is a listing entry: what ListObjectsV2 says of a key.
type listEntry struct {
	Size int64
	ETag string
}

// listCurrent lists every current object of bucket.
func listCurrent(t *testing.T, c *s3.Client, bucket string) map[string]listEntry {
	t.Helper()
	out := map[string]listEntry{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListObjectsV2 %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = listEntry{Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag)}
		}
	}
	return out
}

// wantSameListing fails t unless both buckets list the same keys with the
// same sizes and ETags.
func wantSameListing(t *testing.T, src, dst map[string]listEntry) {
	t.Helper()
	var missing, differ []string
	for k, s := range src {
		d, ok := dst[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case d != s:
			differ = append(differ, fmt.Sprintf("%s: source %+v, destination %+v", k, s, d))
		}
	}
	extra := len(dst) - (len(src) - len(missing))
	if len(missing) > 0 || len(differ) > 0 || extra != 0 {
		t.Fatalf("destination listing differs from the source's (%d objects): %d missing (e.g. %v), %d different (e.g. %v), %d extra",
			len(src), len(missing), firstN(missing, 3), len(differ), firstN(differ, 3), extra)
	}
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }

// headStatus is the x-amz-replication-status of bucket/key ("" when
// absent); found is false on a 404.
func headStatus(t *testing.T, c *s3.Client, bucket, key string) (status string, found bool) {
	t.Helper()
	out, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return "", false
	}
	if err != nil {
		t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
	}
	return string(out.ReplicationStatus), true
}

// waitFor polls cond every 50 ms until it is true, and fails t with
// what after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after %v", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
