package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestVersionIDHeaderOnEveryWritePath checks x-amz-version-id on PUT, copy,
// multipart completion, HEAD and delete: absent on a bucket that never had
// versioning, "null" on a suspended one, the new id on an enabled one.
func TestVersionIDHeaderOnEveryWritePath(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	source := newBucket(t, c)
	setVersioning(t, c, source, types.BucketVersioningStatusEnabled)
	srcID := aws.ToString(putObject(t, c, source, "src", []byte("source")).VersionId)

	for _, tt := range []struct {
		name   string
		status types.BucketVersioningStatus // "" never versioned
		want   func(id *string) bool
		wants  string
	}{
		{"never versioned", "", func(id *string) bool { return id == nil }, "no header"},
		{"suspended", types.BucketVersioningStatusSuspended, func(id *string) bool { return aws.ToString(id) == "null" }, `"null"`},
		{"enabled", types.BucketVersioningStatusEnabled, func(id *string) bool { return len(aws.ToString(id)) == 32 }, "a new version id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bucket := newBucket(t, c)
			if tt.status == types.BucketVersioningStatusSuspended {
				setVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
			}
			if tt.status != "" {
				setVersioning(t, c, bucket, tt.status)
			}
			check := func(what string, id *string) {
				t.Helper()
				if !tt.want(id) {
					t.Errorf("%s: x-amz-version-id %v, want %s", what, describeID(id), tt.wants)
				}
			}
			check("PutObject", putObject(t, c, bucket, "put", []byte("x")).VersionId)

			cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(source + "/src")})
			if err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			check("CopyObject", cp.VersionId)
			if got := aws.ToString(cp.CopySourceVersionId); got != srcID {
				t.Errorf("CopyObject x-amz-copy-source-version-id %q, want the source's %q", got, srcID)
			}
			local, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("local-copy"), CopySource: aws.String(bucket + "/put")})
			if err != nil {
				t.Fatalf("CopyObject within the bucket: %v", err)
			}
			check("CopyObject within the bucket", local.VersionId)
			if tt.status == "" && local.CopySourceVersionId != nil {
				t.Errorf("copy from a never-versioned bucket names source version %q", aws.ToString(local.CopySourceVersionId))
			}

			id := createUpload(t, c, bucket, "mp")
			part := uploadPart(t, c, bucket, "mp", id, 1, []byte("part"))
			done, err := complete(t, c, bucket, "mp", id, []types.CompletedPart{part})
			if err != nil {
				t.Fatalf("CompleteMultipartUpload: %v", err)
			}
			check("CompleteMultipartUpload", done.VersionId)

			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("put")})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			check("HeadObject", head.VersionId)

			del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("put")})
			if err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			check("DeleteObject (the delete marker's id)", del.VersionId)
		})
	}
}

func describeID(id *string) string {
	if id == nil {
		return "absent"
	}
	return `"` + strings.ReplaceAll(*id, `"`, `\"`) + `"`
}
