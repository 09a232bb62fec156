package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

const lifecycleUpdate = "LIFECYCLE_UPDATE"

// lifecycleServer is a server whose lifecycle day lasts a second, so that a
// rule of one day is due two seconds after an object is written. Its
// background scanner is off unless scan, so the tests' own jobs are the
// only ones.
func lifecycleServer(t *testing.T, scan bool, dir string) *server {
	t.Helper()
	opts := serverOptions{Args: []string{"--lifecycle-day", "1s", fmt.Sprintf("--lifecycle-scan=%v", scan)}}
	if dir == "" {
		return startServer(t, opts)
	}
	return startServerIn(t, opts, dir)
}

// putLifecycle stores rules as the bucket's lifecycle configuration.
func putLifecycle(t *testing.T, c *s3.Client, bucket string, rules ...types.LifecycleRule) {
	t.Helper()
	_, err := c.PutBucketLifecycleConfiguration(t.Context(), &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(bucket), LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration %s: %v", bucket, err)
	}
}

func expireRule(id, prefix string, days int32) types.LifecycleRule {
	return types.LifecycleRule{
		ID: aws.String(id), Status: types.ExpirationStatusEnabled,
		Filter:     &types.LifecycleRuleFilter{Prefix: aws.String(prefix)},
		Expiration: &types.LifecycleExpiration{Days: aws.Int32(days)},
	}
}

// seedVersioned inserts n objects of one version each, with version ids, into
// a versioned bucket through the metadata store, as seedObjects does for an
// unversioned one.
func seedVersioned(ctx context.Context, st meta.Store, bucket, prefix string, n int) error {
	_, err := seedVersions(ctx, st, bucket, n, func(i int, now time.Time) *meta.Version {
		return &meta.Version{
			// A version id of the server's form: nanoseconds then 8 more
			// bytes, in hex.
			Key: fmt.Sprintf("%s%07d", prefix, i), VersionID: fmt.Sprintf("%016x%016x", now.UnixNano(), i),
			Size: 1, ETag: fmt.Sprintf("%032x", i), LastModified: now,
			Segments: []meta.Segment{{BlobID: blob.NewID(), Size: 1}},
		}
	})
	return err
}

// countKeys lists the bucket's current keys under prefix.
func countKeys(t *testing.T, c *s3.Client, bucket, prefix string) int {
	t.Helper()
	n := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list %s: %v", bucket, err)
		}
		n += len(page.Contents)
	}
	return n
}

func TestLifecycleUpdateExpiresHalfOfAHundredThousandObjectsExactly(t *testing.T) {
	t.Parallel()
	const half = 50_000
	srv := lifecycleServer(t, false, "")
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	bucket := bucketName(t)
	createBucketOn(t, c, bucket)
	st := openMeta(t, srv)
	mustSeed(t, st, bucket, "logs/", half)
	mustSeed(t, st, bucket, "keep/", half)
	putLifecycle(t, c, bucket, expireRule("logs", "logs/", 1))
	time.Sleep(2500 * time.Millisecond) // one lifecycle day and its rounding

	h := newCLIHome(t, srv)
	h.login(rootUser, rootPassword)
	res := h.ok("job", "create", "--type", lifecycleUpdate, "--bucket", bucket, "--wait")
	id := jobIDIn(t, res)
	j := mapiRoot(t, srv).jobStatus(id)
	wantJobComplete(t, "LIFECYCLE_UPDATE over 100,000 objects", j, half, 0)
	if j.JobStats.Total != 2*half || j.JobStats.Skipped != half {
		t.Errorf("job stats %+v, want total %d and skipped %d", j.JobStats, 2*half, half)
	}
	if !strings.Contains(res.stdout, "COMPLETE") {
		t.Errorf("quarry job create --wait: %s", res)
	}
	if n := countKeys(t, c, bucket, "logs/"); n != 0 {
		t.Errorf("%d logs/ keys listed after the job, want 0", n)
	}
	if n := countKeys(t, c, bucket, "keep/"); n != half {
		t.Errorf("%d keep/ keys listed after the job, want %d", n, half)
	}
	stored, counted := storedAndCounted(t, st, bucket)
	if stored != counted || stored.Objects != half {
		t.Errorf("usage counters %+v, the rows count %+v; want %d objects", stored, counted, half)
	}
}

func TestLifecycleUpdateResumesAfterKill9WithoutASecondDeleteMarker(t *testing.T) {
	t.Parallel()
	const objects = 30_000
	srv := lifecycleServer(t, false, "")
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	bucket := bucketName(t)
	createBucketOn(t, c, bucket)
	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	st := openMeta(t, srv)
	if err := seedVersioned(t.Context(), st, bucket, "k/", objects); err != nil {
		t.Fatal(err)
	}
	putLifecycle(t, c, bucket, expireRule("all", "", 1))
	time.Sleep(2500 * time.Millisecond)

	root := mapiRoot(t, srv)
	created := root.createJob(lifecycleUpdate, bucket, nil)
	running := root.waitJob(created.ID(), time.Minute, "under way", func(j mapiJob) bool {
		return j.JobStats.Processed > 0 || j.ended()
	})
	if running.ended() {
		t.Fatalf("job %d ended before it could be killed: %+v", created.ID(), running)
	}
	srv.Kill(t)
	srv.Restart(t)
	root = mapiRoot(t, srv)
	j := root.waitJobEnded(created.ID(), 2*time.Minute)
	wantJobComplete(t, "LIFECYCLE_UPDATE after kill -9", j, objects, 0)
	t.Logf("killed at processed %d; ended %+v", running.JobStats.Processed, j.JobStats)

	// Every key has exactly one delete marker on top of its one version.
	markers, versions := 0, 0
	perKey := map[string]int{}
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list versions: %v", err)
		}
		for _, m := range page.DeleteMarkers {
			markers++
			perKey[aws.ToString(m.Key)]++
		}
		versions += len(page.Versions)
	}
	if markers != objects || versions != objects {
		t.Errorf("%d delete markers and %d versions, want %d of each", markers, versions, objects)
	}
	for k, n := range perKey {
		if n != 1 {
			t.Fatalf("%s has %d delete markers", k, n)
		}
	}
	if stored, counted := storedAndCounted(t, openMeta(t, srv), bucket); stored != counted || stored.Objects != 0 || stored.Versions != objects {
		t.Errorf("usage counters %+v, the rows count %+v", stored, counted)
	}
}

func TestTheLifecycleScannerExpiresObjectsOnceADayAndTheyAnnounceIt(t *testing.T) {
	t.Parallel()
	srv := lifecycleServer(t, true, "")
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	bucket := bucketName(t)
	createBucketOn(t, c, bucket)
	putLifecycle(t, c, bucket, expireRule("tmp-rule", "tmp/", 1))

	put := putObject(t, c, bucket, "tmp/a", []byte("temporary"))
	putObject(t, c, bucket, "keep/b", []byte("kept"))
	// x-amz-expiration names the rule and the day the object goes.
	exp := regexp.MustCompile(`^expiry-date="[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", rule-id="tmp-rule"$`)
	if got := aws.ToString(put.Expiration); !exp.MatchString(got) {
		t.Errorf("PUT x-amz-expiration = %q", got)
	}
	head, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("tmp/a")})
	if err != nil || !exp.MatchString(aws.ToString(head.Expiration)) {
		t.Errorf("HEAD x-amz-expiration = %q (%v)", aws.ToString(head.Expiration), err)
	}
	kept, err := c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("keep/b")})
	if err != nil || kept.Expiration != nil {
		t.Errorf("HEAD of an object no rule expires: x-amz-expiration %q (%v)", aws.ToString(kept.Expiration), err)
	}

	deadline := time.Now().Add(time.Minute)
	for countKeys(t, c, bucket, "tmp/") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scanner did not expire tmp/a within a minute of one-second days")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := countKeys(t, c, bucket, "keep/"); n != 1 {
		t.Errorf("keep/b was expired too (%d keys under keep/)", n)
	}
	var scans []mapiJob
	for _, j := range mapiRoot(t, srv).listJobs(map[string]any{"jobType": lifecycleUpdate, "bucketName": bucket}) {
		if j.ended() {
			scans = append(scans, j)
		}
	}
	if len(scans) == 0 || !strings.Contains(scans[len(scans)-1].Message, "lifecycle scanner") {
		t.Fatalf("no finished scanner job on %s: %+v", bucket, scans)
	}
	expired := int64(0)
	for _, j := range scans {
		wantCounterIdentity(t, "a scanner job", j)
		expired += j.JobStats.Processed
	}
	if expired != 1 {
		t.Errorf("the scanner's jobs processed %d objects in all, want exactly 1", expired)
	}
}

func TestLifecycleExpirationsReplicateTheirDeleteMarkers(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, true)
	p.Src.Stop(t)
	p.Src.opts.Args = append(p.Src.opts.Args, "--lifecycle-day", "1s", "--lifecycle-scan=false")
	p.Src.Restart(t)
	p.MAPI = mapiRoot(t, p.Src)
	p.mustReplicate(t, replRule{DeleteMarkers: true})
	putObject(t, p.SrcS3, p.SrcBucket, "photo.jpg", []byte("a photo"))
	waitStatus(t, p.SrcS3, p.SrcBucket, "photo.jpg", "COMPLETED")
	putLifecycle(t, p.SrcS3, p.SrcBucket, expireRule("all", "", 1))
	time.Sleep(2500 * time.Millisecond)

	j := p.MAPI.waitJobEnded(p.MAPI.createJob(lifecycleUpdate, p.SrcBucket, nil).ID(), time.Minute)
	wantJobComplete(t, "LIFECYCLE_UPDATE on a replicating bucket", j, 1, 0)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := p.DstS3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(p.DstBucket), Key: aws.String("photo.jpg")})
		if err != nil {
			break // the destination shows the delete marker
		}
		if time.Now().After(deadline) {
			t.Fatal("the expiration's delete marker did not reach the destination")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
