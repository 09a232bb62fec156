package e2e

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketLifecycle(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	name := newBucket(t, c)

	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if !slices.ContainsFunc(list.Buckets, func(b types.Bucket) bool { return aws.ToString(b.Name) == name }) {
		t.Errorf("ListBuckets does not list %s", name)
	}
	for _, b := range list.Buckets {
		if b.CreationDate == nil || b.CreationDate.IsZero() {
			t.Errorf("bucket %s has no creation date", aws.ToString(b.Name))
		}
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Errorf("HeadBucket of an existing bucket: %v", err)
	}

	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(name)})
	if err != nil {
		t.Errorf("GetBucketLocation: %v", err)
	} else if lc := string(loc.LocationConstraint); lc != "" && lc != testRegion {
		t.Errorf("LocationConstraint = %q, want empty or %q", lc, testRegion)
	}

	// us-east-1's legacy answer (see TestCreatingAnOwnBucketAgain).
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Errorf("CreateBucket of an existing own bucket in us-east-1: %v, want 200", err)
	}

	putObject(t, c, name, "keep", []byte("x"))
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	wantErr(t, "DeleteBucket of a non-empty bucket", err, http.StatusConflict, "BucketNotEmpty")

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String("keep")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("DeleteBucket of an empty bucket: %v", err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	wantErr(t, "HeadBucket after delete", err, http.StatusNotFound, "")
	list, err = c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if slices.ContainsFunc(list.Buckets, func(b types.Bucket) bool { return aws.ToString(b.Name) == name }) {
		t.Errorf("ListBuckets still lists deleted bucket %s", name)
	}
}

func TestMissingBucketAnswersNoSuchBucket(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	missing := aws.String("no-such-bucket-" + strings.ToLower(bucketName(t)))
	tests := []struct {
		name string
		call func() error
	}{
		{"DeleteBucket", func() error {
			_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: missing})
			return err
		}},
		{"ListObjectsV2", func() error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: missing})
			return err
		}},
		{"GetObject", func() error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: missing, Key: aws.String("k")})
			return err
		}},
		{"PutObject", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: missing, Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		}},
		{"GetBucketVersioning", func() error {
			_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: missing})
			return err
		}},
	}
	for _, tt := range tests {
		wantErr(t, tt.name+" on a missing bucket", tt.call(), http.StatusNotFound, "NoSuchBucket")
	}
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: missing})
	wantErr(t, "HeadBucket on a missing bucket", err, http.StatusNotFound, "")
}

func TestInvalidBucketNamesAreRefused(t *testing.T) {
	t.Parallel()
	names := []struct{ why, name string }{
		{"too short", "ab"},
		{"too long", strings.Repeat("a", 64)},
		{"upper case", "UpperCase"},
		{"underscore", "under_score"},
		{"leading hyphen", "-leading"},
		{"trailing hyphen", "trailing-"},
		{"IP address", "192.168.1.10"},
		{"adjacent dots", "a..b"},
		{"xn-- prefix", "xn--bucket"},
	}
	for _, n := range names {
		r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + n.name})
		wantRaw(t, "create bucket with "+n.why+" name "+n.name, r, http.StatusBadRequest, "InvalidBucketName")
	}
}

func TestBucketVersioningConfiguration(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	name := newBucket(t, c)

	got, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("GetBucketVersioning: %v", err)
	}
	if got.Status != "" {
		t.Errorf("new bucket versioning status = %q, want none", got.Status)
	}
	for _, status := range []types.BucketVersioningStatus{types.BucketVersioningStatusEnabled, types.BucketVersioningStatusSuspended} {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: status},
		})
		if err != nil {
			t.Fatalf("PutBucketVersioning %s: %v", status, err)
		}
		got, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(name)})
		if err != nil {
			t.Fatalf("GetBucketVersioning: %v", err)
		}
		if got.Status != status {
			t.Errorf("versioning status = %q, want %q", got.Status, status)
		}
	}
}

func TestBucketTagging(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	name := newBucket(t, c)

	_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
	wantErr(t, "GetBucketTagging before any tags", err, http.StatusNotFound, "NoSuchTagSet")

	want := map[string]string{"team": "storage", "cost center": "42"}
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{
		Bucket:  aws.String(name),
		Tagging: &types.Tagging{TagSet: tagSet(want)},
	})
	if err != nil {
		t.Fatalf("PutBucketTagging: %v", err)
	}
	got, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("GetBucketTagging: %v", err)
	}
	if m := tagMap(got.TagSet); !maps.Equal(m, want) {
		t.Errorf("bucket tags = %v, want %v", m, want)
	}
	if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("DeleteBucketTagging: %v", err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
	wantErr(t, "GetBucketTagging after delete", err, http.StatusNotFound, "NoSuchTagSet")
}

func tagSet(m map[string]string) []types.Tag {
	var tags []types.Tag
	for k, v := range m {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return tags
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
