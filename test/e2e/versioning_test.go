package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

func setVersioning(t *testing.T, c *s3.Client, bucket string, status types.BucketVersioningStatus) {
	t.Helper()
	_, err := c.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status},
	})
	if err != nil {
		t.Fatalf("PutBucketVersioning %s: %v", status, err)
	}
}

// versionLine describes one entry of ListObjectVersions for comparisons.
func versionLines(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	var lines []string
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListObjectVersions %s: %v", bucket, err)
		}
		for _, v := range page.Versions {
			lines = append(lines, fmt.Sprintf("%s %s size=%d latest=%v", aws.ToString(v.Key), aws.ToString(v.VersionId), aws.ToInt64(v.Size), aws.ToBool(v.IsLatest)))
		}
		for _, m := range page.DeleteMarkers {
			lines = append(lines, fmt.Sprintf("%s %s marker latest=%v", aws.ToString(m.Key), aws.ToString(m.VersionId), aws.ToBool(m.IsLatest)))
		}
	}
	slices.Sort(lines)
	return lines
}

func sortedLines(lines ...string) []string {
	slices.Sort(lines)
	return lines
}

func TestVersioningFollowsAWSSemantics(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)

	bodies := [][]byte{[]byte("one"), []byte("second"), []byte("the third")}
	var ids []string
	for _, b := range bodies {
		out := putObject(t, c, bucket, "doc", b)
		id := aws.ToString(out.VersionId)
		if id == "" || id == "null" || slices.Contains(ids, id) {
			t.Fatalf("PutObject in a versioned bucket returned version id %q (previous %v)", id, ids)
		}
		ids = append(ids, id)
	}
	for i, id := range ids {
		got, out := mustGet(t, c, bucket, "doc", id)
		if string(got) != string(bodies[i]) || aws.ToString(out.VersionId) != id {
			t.Errorf("GetObject version %d = %q (version %s), want %q", i, got, aws.ToString(out.VersionId), bodies[i])
		}
	}
	if got, _ := mustGet(t, c, bucket, "doc", ""); string(got) != "the third" {
		t.Errorf("latest = %q, want the third", got)
	}

	// DELETE without a version id adds a delete marker.
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")})
	if err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	marker := aws.ToString(del.VersionId)
	if !aws.ToBool(del.DeleteMarker) || marker == "" || slices.Contains(ids, marker) {
		t.Fatalf("DeleteObject: delete marker %v version %q, want a new marker", aws.ToBool(del.DeleteMarker), marker)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")})
	wantErr(t, "GetObject of a key whose latest is a delete marker", err, http.StatusNotFound, "NoSuchKey")
	if h := errHeader(err, "X-Amz-Delete-Marker"); h != "true" {
		t.Errorf("GetObject of a deleted key: x-amz-delete-marker = %q, want true", h)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")})
	wantErr(t, "HeadObject of a deleted key", err, http.StatusNotFound, "")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: aws.String(marker)})
	wantErr(t, "GetObject of a delete marker's version id", err, http.StatusMethodNotAllowed, "MethodNotAllowed")
	if got, _ := mustGet(t, c, bucket, "doc", ids[0]); string(got) != "one" {
		t.Errorf("old version after delete marker = %q", got)
	}
	if keys := listKeys(t, c, bucket, ""); len(keys) != 0 {
		t.Errorf("ListObjectsV2 lists %v while the key is deleted", keys)
	}
	want := sortedLines(
		"doc "+ids[0]+" size=3 latest=false",
		"doc "+ids[1]+" size=6 latest=false",
		"doc "+ids[2]+" size=9 latest=false",
		"doc "+marker+" marker latest=true",
	)
	if got := versionLines(t, c, bucket); !slices.Equal(got, want) {
		t.Errorf("versions after delete:\n got %q\nwant %q", got, want)
	}

	// Deleting the marker brings the object back.
	del, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: aws.String(marker)})
	if err != nil {
		t.Fatalf("DeleteObject of the marker: %v", err)
	}
	if !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) != marker {
		t.Errorf("deleting the marker answered DeleteMarker=%v VersionId=%q, want true %q", aws.ToBool(del.DeleteMarker), aws.ToString(del.VersionId), marker)
	}
	if got, _ := mustGet(t, c, bucket, "doc", ""); string(got) != "the third" {
		t.Errorf("after removing the marker latest = %q, want the third", got)
	}

	// Deleting a specific version removes only it.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: aws.String(ids[1])}); err != nil {
		t.Fatalf("DeleteObject version: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: aws.String(ids[1])})
	wantErr(t, "GetObject of a deleted version", err, http.StatusNotFound, "NoSuchVersion")
	// Deleting the latest version makes the previous one latest.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc"), VersionId: aws.String(ids[2])}); err != nil {
		t.Fatalf("DeleteObject latest version: %v", err)
	}
	if got, _ := mustGet(t, c, bucket, "doc", ""); string(got) != "one" {
		t.Errorf("after deleting the latest version, latest = %q, want one", got)
	}
	put := putObject(t, c, bucket, "doc", []byte("fourth!"))
	ids = []string{ids[0], aws.ToString(put.VersionId)}

	// Suspended: writes go to the null version, which each write replaces.
	setVersioning(t, c, bucket, types.BucketVersioningStatusSuspended)
	for _, b := range []string{"null-one", "null-second"} {
		out := putObject(t, c, bucket, "doc", []byte(b))
		if v := aws.ToString(out.VersionId); v != "" && v != "null" {
			t.Errorf("PutObject in a suspended bucket returned version %q, want null", v)
		}
	}
	if got, out := mustGet(t, c, bucket, "doc", "null"); string(got) != "null-second" || aws.ToString(out.VersionId) != "null" {
		t.Errorf("GetObject version null = %q (version %q), want null-second", got, aws.ToString(out.VersionId))
	}
	// A DELETE while suspended puts a null delete marker on another key.
	putObject(t, c, bucket, "gone", []byte("short-lived"))
	del, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("gone")})
	if err != nil {
		t.Fatalf("DeleteObject while suspended: %v", err)
	}
	if !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) != "null" {
		t.Errorf("DELETE while suspended: marker %v version %q, want a null marker", aws.ToBool(del.DeleteMarker), aws.ToString(del.VersionId))
	}

	want = sortedLines(
		"doc "+ids[0]+" size=3 latest=false",
		"doc "+ids[1]+" size=7 latest=false",
		"doc null size=11 latest=true",
		"gone null marker latest=true",
	)
	if got := versionLines(t, c, bucket); !slices.Equal(got, want) {
		t.Errorf("final versions:\n got %q\nwant %q", got, want)
	}
	wantUsage := meta.Usage{Objects: 1, Bytes: 11, Versions: 3, VersionBytes: 3 + 7 + 11}
	if got := readUsage(t, sharedSrv, bucket); got != wantUsage {
		t.Errorf("usage counters = %+v, want %+v", got, wantUsage)
	}
}
