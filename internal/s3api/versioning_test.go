package s3api

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func enableVersioning(t *testing.T, c *s3.Client, bucket string, status types.BucketVersioningStatus) {
	t.Helper()
	_, err := c.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket: aws.String(bucket), VersioningConfiguration: &types.VersioningConfiguration{Status: status},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVersionedObjects(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "hist")
	enableVersioning(t, c, "hist", types.BucketVersioningStatusEnabled)

	v1 := ts.mustPut(ts.alice, "hist", "doc", "one")
	v2 := ts.mustPut(ts.alice, "hist", "doc", "two")
	if aws.ToString(v1.VersionId) == "" || aws.ToString(v1.VersionId) == aws.ToString(v2.VersionId) {
		t.Fatalf("version ids %q and %q, want two distinct ids", aws.ToString(v1.VersionId), aws.ToString(v2.VersionId))
	}

	old, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("hist"), Key: aws.String("doc"), VersionId: v1.VersionId})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(old.Body)
	old.Body.Close()
	if string(body) != "one" || aws.ToString(old.VersionId) != aws.ToString(v1.VersionId) {
		t.Errorf("old version: %q id %q", body, aws.ToString(old.VersionId))
	}

	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("hist"), Key: aws.String("doc")})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Errorf("delete: marker %v id %q, want a delete marker with an id", aws.ToBool(del.DeleteMarker), aws.ToString(del.VersionId))
	}

	// The latest version is a marker: 404 with x-amz-delete-marker.
	status, hdr, _ := ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/hist/doc", nil))
	if status != http.StatusNotFound || hdr.Get("X-Amz-Delete-Marker") != "true" || hdr.Get("X-Amz-Version-Id") != aws.ToString(del.VersionId) {
		t.Errorf("get deleted: %d marker %q id %q", status, hdr.Get("X-Amz-Delete-Marker"), hdr.Get("X-Amz-Version-Id"))
	}
	// Asking for the marker by id: 405.
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("hist"), Key: aws.String("doc"), VersionId: del.VersionId})
	if httpStatus(err) != http.StatusMethodNotAllowed {
		t.Errorf("head marker by id: %v, want 405", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("hist"), Key: aws.String("doc"), VersionId: aws.String("no-such-version")})
	if code := sdkCode(err); code != "NoSuchVersion" && code != "InvalidArgument" {
		t.Errorf("unknown version: %v, want NoSuchVersion or InvalidArgument", err)
	}

	list, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("hist")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Versions) != 2 || len(list.DeleteMarkers) != 1 {
		t.Fatalf("%d versions and %d markers, want 2 and 1", len(list.Versions), len(list.DeleteMarkers))
	}
	if !aws.ToBool(list.DeleteMarkers[0].IsLatest) || aws.ToBool(list.Versions[0].IsLatest) ||
		aws.ToString(list.Versions[0].VersionId) != aws.ToString(v2.VersionId) {
		t.Errorf("order or latest flags wrong: %+v", list)
	}

	// Deleting the marker by id brings the object back.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("hist"), Key: aws.String("doc"), VersionId: del.VersionId}); err != nil {
		t.Fatal(err)
	}
	if got := ts.mustGet(ts.alice, "hist", "doc"); got != "two" {
		t.Errorf("after removing the marker: %q, want two", got)
	}
}

func TestListObjectVersionsPaging(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "hist")
	enableVersioning(t, c, "hist", types.BucketVersioningStatusEnabled)
	for _, key := range []string{"a", "a", "b", "c", "c", "c"} {
		ts.mustPut(ts.alice, "hist", key, key)
	}
	var seen int
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("hist"), MaxKeys: aws.Int32(2)}
	for page := 0; ; page++ {
		out, err := c.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(out.Versions)
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if seen != 6 {
		t.Errorf("paged through %d versions, want 6", seen)
	}
	_, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("hist"), VersionIdMarker: aws.String("x")})
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)
}

func TestVersionHeaderOnSuspendedBuckets(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "plain")
	if out := ts.mustPut(ts.alice, "plain", "k", "v"); out.VersionId != nil {
		t.Errorf("never-versioned bucket: version id %q, want none", aws.ToString(out.VersionId))
	}
	ts.mustCreateBucket(ts.alice, "paused")
	enableVersioning(t, c, "paused", types.BucketVersioningStatusSuspended)
	if out := ts.mustPut(ts.alice, "paused", "k", "v"); aws.ToString(out.VersionId) != "null" {
		t.Errorf("suspended bucket: version id %q, want null", aws.ToString(out.VersionId))
	}
}
