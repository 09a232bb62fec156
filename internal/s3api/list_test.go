package s3api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func putKeys(ts *testServer, bucket string, keys ...string) {
	for _, k := range keys {
		ts.mustPut(ts.alice, bucket, k, k)
	}
}

func keysOf(objs []types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

func prefixesOf(cps []types.CommonPrefix) []string {
	var out []string
	for _, p := range cps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func TestListObjectsV2(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "tree")
	putKeys(ts, "tree", "a.txt", "dir/1", "dir/2", "dir/sub/3", "other/x", "z")

	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tree"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(keysOf(out.Contents), ","); got != "a.txt,z" {
		t.Errorf("keys %s, want a.txt,z", got)
	}
	if got := strings.Join(prefixesOf(out.CommonPrefixes), ","); got != "dir/,other/" {
		t.Errorf("prefixes %s, want dir/,other/", got)
	}
	if aws.ToInt32(out.KeyCount) != 4 || aws.ToBool(out.IsTruncated) {
		t.Errorf("KeyCount %d truncated %v", aws.ToInt32(out.KeyCount), aws.ToBool(out.IsTruncated))
	}

	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tree"), Prefix: aws.String("dir/"), StartAfter: aws.String("dir/1")})
	if err != nil || strings.Join(keysOf(out.Contents), ",") != "dir/2,dir/sub/3" {
		t.Errorf("prefix + start-after: %v (%v)", keysOf(out.Contents), err)
	}

	// Paging with continuation tokens visits every key once.
	var all []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("tree"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, keysOf(page.Contents)...)
	}
	if got := strings.Join(all, ","); got != "a.txt,dir/1,dir/2,dir/sub/3,other/x,z" {
		t.Errorf("paged keys %s", got)
	}

	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tree"), FetchOwner: aws.Bool(true), MaxKeys: aws.Int32(1)})
	if err != nil || len(out.Contents) != 1 || out.Contents[0].Owner == nil || aws.ToString(out.Contents[0].Owner.DisplayName) != "alice" {
		t.Errorf("fetch-owner: %+v (%v)", out.Contents, err)
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tree"), MaxKeys: aws.Int32(0)})
	if err != nil || len(out.Contents) != 0 || aws.ToBool(out.IsTruncated) {
		t.Errorf("max-keys 0: %+v (%v)", out, err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("tree"), ContinuationToken: aws.String("!!not a token")})
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)
}

func TestListObjectsV1(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "tree")
	putKeys(ts, "tree", "a", "b/1", "b/2", "c", "d/1")

	out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("tree"), MaxKeys: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(out.IsTruncated) || out.NextMarker != nil || strings.Join(keysOf(out.Contents), ",") != "a,b/1" {
		t.Errorf("without delimiter: keys %v truncated %v NextMarker %v (AWS sends none)", keysOf(out.Contents), aws.ToBool(out.IsTruncated), out.NextMarker)
	}
	out, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("tree"), Marker: aws.String("b/1")})
	if err != nil || strings.Join(keysOf(out.Contents), ",") != "b/2,c,d/1" {
		t.Errorf("marker: %v (%v)", keysOf(out.Contents), err)
	}
	out, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("tree"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	if err != nil || aws.ToString(out.NextMarker) != "b/" || strings.Join(prefixesOf(out.CommonPrefixes), ",") != "b/" {
		t.Errorf("with delimiter: keys %v prefixes %v NextMarker %q (%v)", keysOf(out.Contents), prefixesOf(out.CommonPrefixes), aws.ToString(out.NextMarker), err)
	}
	if out.Contents[0].Owner == nil {
		t.Error("v1 listing lacks the owner")
	}
}

func TestListEncodingTypeURL(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "enc")
	putKeys(ts, "enc", "a b/c+d", "x\x01y")
	status, _, body := ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/enc?list-type=2&encoding-type=url&delimiter=%2F&prefix=a%20", nil))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	for _, want := range []string{"<EncodingType>url</EncodingType>", "<Prefix>a%20</Prefix>", "<Prefix>a%20b/</Prefix>", "<Delimiter>/</Delimiter>"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	status, _, body = ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/enc?encoding-type=url", nil))
	if status != http.StatusOK || !strings.Contains(body, "<Key>a%20b/c%2Bd</Key>") || !strings.Contains(body, "<Key>x%01y</Key>") {
		t.Errorf("v1 keys not URL-encoded: %d %s", status, body)
	}
	status, _, body = ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/enc?versions&encoding-type=url", nil))
	if status != http.StatusOK || !strings.Contains(body, "<Key>x%01y</Key>") {
		t.Errorf("version keys not URL-encoded: %d %s", status, body)
	}
	status, _, body = ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/enc?encoding-type=base64", nil))
	if status != http.StatusBadRequest || !strings.Contains(body, "InvalidArgument") {
		t.Errorf("unknown encoding: %d %s", status, body)
	}
}

func TestDeleteObjects(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "bulk")
	putKeys(ts, "bulk", "a", "b", "c")

	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String("bulk"),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b")}, {Key: aws.String("never-existed")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 0 {
		t.Errorf("deleted %+v errors %+v, want 3 deleted", out.Deleted, out.Errors)
	}
	list, _ := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bulk")})
	if got := strings.Join(keysOf(list.Contents), ","); got != "c" {
		t.Errorf("left %s, want c", got)
	}

	enableVersioning(t, c, "bulk", types.BucketVersioningStatusEnabled)
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String("bulk"),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("c")}}},
	})
	if err != nil || len(out.Deleted) != 1 || !aws.ToBool(out.Deleted[0].DeleteMarker) || aws.ToString(out.Deleted[0].DeleteMarkerVersionId) == "" {
		t.Errorf("versioned delete: %+v (%v), want a delete marker", out.Deleted, err)
	}

	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String("bulk"),
		Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{{Key: aws.String("c")}, {Key: aws.String(strings.Repeat("k", 1100))}}},
	})
	if err != nil || len(out.Deleted) != 0 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "KeyTooLongError" {
		t.Errorf("quiet delete: deleted %+v errors %+v (%v), want only the long key's error", out.Deleted, out.Errors, err)
	}

	tooMany := make([]types.ObjectIdentifier, 1001)
	for i := range tooMany {
		tooMany[i] = types.ObjectIdentifier{Key: aws.String("k")}
	}
	_, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("bulk"), Delete: &types.Delete{Objects: tooMany}})
	wantCode(t, err, "MalformedXML", http.StatusBadRequest)
	_, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("missing"), Delete: &types.Delete{Objects: tooMany[:1]}})
	wantCode(t, err, "NoSuchBucket", http.StatusNotFound)
}
