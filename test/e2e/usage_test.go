package e2e

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

// usageFromListing sums what ListObjectVersions shows, the way the usage
// counters are defined.
func usageFromListing(t *testing.T, c *s3.Client, bucket string) meta.Usage {
	t.Helper()
	var u meta.Usage
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListObjectVersions %s: %v", bucket, err)
		}
		for _, v := range page.Versions {
			u.Versions++
			u.VersionBytes += aws.ToInt64(v.Size)
			if aws.ToBool(v.IsLatest) {
				u.Objects++
				u.Bytes += aws.ToInt64(v.Size)
			}
		}
	}
	return u
}

func TestUsageCountersFollowEveryKindOfChange(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	check := func(step string, want meta.Usage) {
		t.Helper()
		if listed := usageFromListing(t, c, bucket); listed != want {
			t.Errorf("after %s: listing sums to %+v, want %+v", step, listed, want)
		}
		if got := readUsage(t, sharedSrv, bucket); got != want {
			t.Errorf("after %s: usage counters %+v, want %+v", step, got, want)
		}
	}
	check("creation", meta.Usage{})
	putObject(t, c, bucket, "a", make([]byte, 100))
	putObject(t, c, bucket, "b", make([]byte, 200))
	check("two PUTs", meta.Usage{Objects: 2, Bytes: 300, Versions: 2, VersionBytes: 300})
	putObject(t, c, bucket, "a", make([]byte, 50))
	check("an overwrite", meta.Usage{Objects: 2, Bytes: 250, Versions: 2, VersionBytes: 250})
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("c"), CopySource: aws.String(bucket + "/b")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	check("a copy", meta.Usage{Objects: 3, Bytes: 450, Versions: 3, VersionBytes: 450})

	id := createUpload(t, c, bucket, "mp")
	p1 := uploadPart(t, c, bucket, "mp", id, 1, make([]byte, 5*mib))
	check("an upload in progress", meta.Usage{Objects: 3, Bytes: 450, Versions: 3, VersionBytes: 450})
	p2 := uploadPart(t, c, bucket, "mp", id, 2, make([]byte, 10))
	if _, err := complete(t, c, bucket, "mp", id, []types.CompletedPart{p1, p2}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	check("a multipart upload", meta.Usage{Objects: 4, Bytes: 450 + 5*mib + 10, Versions: 4, VersionBytes: 450 + 5*mib + 10})

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("missing")}},
	}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	check("deletes", meta.Usage{Objects: 2, Bytes: 400, Versions: 2, VersionBytes: 400})

	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	putObject(t, c, bucket, "b", make([]byte, 20))
	check("a versioned overwrite of a null version", meta.Usage{Objects: 2, Bytes: 220, Versions: 3, VersionBytes: 420})
	res, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("b")}, {Key: aws.String("c")}},
	}})
	if err != nil {
		t.Fatalf("versioned DeleteObjects: %v", err)
	}
	for _, d := range res.Deleted {
		if !aws.ToBool(d.DeleteMarker) || aws.ToString(d.DeleteMarkerVersionId) == "" {
			t.Errorf("versioned DeleteObjects of %s: DeleteMarker %v marker version %q, want a marker", aws.ToString(d.Key), aws.ToBool(d.DeleteMarker), aws.ToString(d.DeleteMarkerVersionId))
		}
	}
	check("versioned deletes", meta.Usage{Objects: 0, Bytes: 0, Versions: 3, VersionBytes: 420})
	if keys := listKeys(t, c, bucket, ""); len(keys) != 0 {
		t.Errorf("after versioned deletes ListObjectsV2 lists %v", keys)
	}
}

func TestConditionalPutAndCopyOfAnOldVersion(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	first := putObject(t, c, bucket, "k", []byte("first"))

	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("clobber"), IfNoneMatch: aws.String("*")})
	wantErr(t, "PutObject If-None-Match * on an existing key", err, http.StatusPreconditionFailed, "PreconditionFailed")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("new"), Body: strings.NewReader("fresh"), IfNoneMatch: aws.String("*")}); err != nil {
		t.Errorf("PutObject If-None-Match * on a new key: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x"), IfMatch: aws.String(`"00000000000000000000000000000000"`)})
	wantErr(t, "PutObject If-Match with a stale ETag", err, http.StatusPreconditionFailed, "PreconditionFailed")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("second"), IfMatch: first.ETag}); err != nil {
		t.Errorf("PutObject If-Match with the current ETag: %v", err)
	}

	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("restored"),
		CopySource: aws.String(bucket + "/k?versionId=" + aws.ToString(first.VersionId)),
	})
	if err != nil {
		t.Fatalf("CopyObject of an old version: %v", err)
	}
	if aws.ToString(out.CopySourceVersionId) != aws.ToString(first.VersionId) {
		t.Errorf("CopySourceVersionId = %q, want %q", aws.ToString(out.CopySourceVersionId), aws.ToString(first.VersionId))
	}
	if got, _ := mustGet(t, c, bucket, "restored", ""); string(got) != "first" {
		t.Errorf("copy of the first version = %q, want first", got)
	}
}

func TestVersionListingPaginatesWithinAKey(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	var want []string
	for _, key := range []string{"a", "b"} {
		var ids []string
		for i := range 5 {
			out := putObject(t, c, bucket, key, bytes.Repeat([]byte{'x'}, i+1))
			ids = append(ids, key+"@"+aws.ToString(out.VersionId))
		}
		slices.Reverse(ids) // newest first
		want = append(want, ids...)
	}
	var got []string
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(3)})
	for i := 0; p.HasMorePages() && i < 20; i++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectVersions page: %v", err)
		}
		if n := len(page.Versions) + len(page.DeleteMarkers); n > 3 {
			t.Errorf("page of max-keys 3 holds %d entries", n)
		}
		for _, v := range page.Versions {
			got = append(got, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("versions paged 3 at a time:\n got %v\nwant %v", got, want)
	}
}

func TestDeletedDataLeavesTheDisk(t *testing.T) {
	t.Parallel()
	// Small objects in blobs: the test is about blob files.
	srv := startServer(t, serverOptions{Args: []string{"--inline-max", "0"}})
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	ctx := t.Context()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("gc-bucket")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	for i := range 5 {
		putObject(t, c, "gc-bucket", "k"+string(rune('0'+i)), randomBytes(uint64(i), 64<<10))
	}
	putObject(t, c, "gc-bucket", "k0", randomBytes(99, 64<<10)) // the overwritten blob is garbage
	id := createUpload(t, c, "gc-bucket", "mp")
	uploadPart(t, c, "gc-bucket", "mp", id, 1, randomBytes(7, 64<<10))
	if n := blobFiles(t, srv); n < 6 {
		t.Fatalf("%d blob files for 6 stored blobs", n)
	}
	for i := range 5 {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("gc-bucket"), Key: aws.String("k" + string(rune('0'+i)))}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("gc-bucket"), Key: aws.String("mp"), UploadId: aws.String(id)}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for blobFiles(t, srv) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := blobFiles(t, srv); n > 0 {
		t.Errorf("%d blob files remain 10s after every object was deleted and the upload aborted", n)
	}
}

// blobFiles counts regular files under DATA/blobs.
func blobFiles(t *testing.T, srv *server) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(srv.DataDir, "blobs"), func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk blobs: %v", err)
	}
	return n
}
