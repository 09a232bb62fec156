package s3api

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestCopyObject(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "src")
	ts.mustCreateBucket(ts.alice, "dst")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("src"), Key: aws.String("a b/ü.txt"), Body: stringsReader("payload"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"origin": "src"},
	})
	if err != nil {
		t.Fatal(err)
	}

	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("src/a%20b/%C3%BC.txt"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CopyObjectResult.ETag) != `"321c3cf486ed509164edec1e1981fec8"` || out.CopyObjectResult.LastModified == nil {
		t.Errorf("copy result %+v", out.CopyObjectResult)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if err != nil || head.Metadata["origin"] != "src" || aws.ToString(head.ContentType) != "text/plain" {
		t.Errorf("COPY directive kept metadata %v type %q (%v)", head.Metadata, aws.ToString(head.ContentType), err)
	}
	if got := ts.mustGet(ts.alice, "dst", "copy"); got != "payload" {
		t.Errorf("copied body %q", got)
	}

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String("dst"), Key: aws.String("replaced"), CopySource: aws.String("/src/a%20b/%C3%BC.txt"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"fresh": "yes"}, ContentType: aws.String("application/json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced")})
	if err != nil || head.Metadata["fresh"] != "yes" || head.Metadata["origin"] != "" || aws.ToString(head.ContentType) != "application/json" {
		t.Errorf("REPLACE directive: metadata %v type %q (%v)", head.Metadata, aws.ToString(head.ContentType), err)
	}

	tests := []struct {
		name   string
		in     *s3.CopyObjectInput
		code   string
		status int
	}{
		{"a missing source key", &s3.CopyObjectInput{CopySource: aws.String("src/missing")}, "NoSuchKey", 404},
		{"a source without key", &s3.CopyObjectInput{CopySource: aws.String("src")}, "InvalidArgument", 400},
		{"a failed source condition", &s3.CopyObjectInput{CopySource: aws.String("src/a%20b/%C3%BC.txt"), CopySourceIfMatch: aws.String(`"nope"`)}, "PreconditionFailed", 412},
		{"an unknown directive", &s3.CopyObjectInput{CopySource: aws.String("src/a%20b/%C3%BC.txt"), MetadataDirective: "MERGE"}, "InvalidArgument", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Bucket, tt.in.Key = aws.String("dst"), aws.String("bad")
			_, err := c.CopyObject(ctx, tt.in)
			wantCode(t, err, tt.code, tt.status)
		})
	}
	ts.assertMissing("dst", "bad")

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("a b/ü.txt"), CopySource: aws.String("src/a%20b/%C3%BC.txt")})
	wantCode(t, err, "InvalidRequest", http.StatusBadRequest)
}

func TestCopyObjectSourceVersion(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "hist")
	enableVersioning(t, c, "hist", types.BucketVersioningStatusEnabled)
	v1 := ts.mustPut(ts.alice, "hist", "k", "first")
	ts.mustPut(ts.alice, "hist", "k", "second")

	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String("hist"), Key: aws.String("restored"), CopySource: aws.String("hist/k?versionId=" + aws.ToString(v1.VersionId)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CopySourceVersionId) != aws.ToString(v1.VersionId) || aws.ToString(out.VersionId) == "" {
		t.Errorf("source version %q (want %q), new version %q", aws.ToString(out.CopySourceVersionId), aws.ToString(v1.VersionId), aws.ToString(out.VersionId))
	}
	if got := ts.mustGet(ts.alice, "hist", "restored"); got != "first" {
		t.Errorf("restored %q, want first", got)
	}
}
