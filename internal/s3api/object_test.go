package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestPutGetHeadObject(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "files")

	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:       aws.String("files"),
		Key:          aws.String("dir/hello world+ü.txt"),
		Body:         strings.NewReader("hello, world"),
		ContentType:  aws.String("text/plain"),
		CacheControl: aws.String("max-age=60"),
		Metadata:     map[string]string{"color": "blue"},
		Tagging:      aws.String("project=quarry&stage=test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantETag := `"e4d7f1b4ed2e42d15898f4b27b019da4"`
	if aws.ToString(put.ETag) != wantETag {
		t.Errorf("put ETag %s, want %s", aws.ToString(put.ETag), wantETag)
	}
	if put.VersionId != nil {
		t.Errorf("put on a never-versioned bucket returned version id %q", aws.ToString(put.VersionId))
	}

	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("dir/hello world+ü.txt")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if string(body) != "hello, world" {
		t.Errorf("body %q", body)
	}
	if aws.ToString(get.ContentType) != "text/plain" || aws.ToString(get.CacheControl) != "max-age=60" ||
		get.Metadata["color"] != "blue" || aws.ToString(get.ETag) != wantETag || aws.ToInt32(get.TagCount) != 2 ||
		aws.ToInt64(get.ContentLength) != 12 || aws.ToString(get.AcceptRanges) != "bytes" || get.LastModified == nil {
		t.Errorf("get headers: type %q cache %q meta %v etag %q tags %d length %d ranges %q",
			aws.ToString(get.ContentType), aws.ToString(get.CacheControl), get.Metadata, aws.ToString(get.ETag),
			aws.ToInt32(get.TagCount), aws.ToInt64(get.ContentLength), aws.ToString(get.AcceptRanges))
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("files"), Key: aws.String("dir/hello world+ü.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(head.ContentLength) != 12 || aws.ToString(head.ETag) != wantETag || head.Metadata["color"] != "blue" {
		t.Errorf("head: length %d etag %s meta %v", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), head.Metadata)
	}
}

func TestObjectWithoutContentTypeIsBinary(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "files")
	req := ts.signedRequest(ts.alice, http.MethodPut, "/files/raw", []byte("x"))
	if status, _, body := ts.do(req); status != http.StatusOK {
		t.Fatalf("put: %d %s", status, body)
	}
	status, hdr, _ := ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/files/raw", nil))
	if status != http.StatusOK || hdr.Get("Content-Type") != defaultContentType {
		t.Errorf("get: %d, Content-Type %q, want %s", status, hdr.Get("Content-Type"), defaultContentType)
	}
	if hdr.Get("Server") != "Quarry" || len(hdr.Get("X-Amz-Request-Id")) != 16 || hdr.Get("X-Amz-Id-2") == "" {
		t.Errorf("common headers: Server %q request id %q id-2 %q", hdr.Get("Server"), hdr.Get("X-Amz-Request-Id"), hdr.Get("X-Amz-Id-2"))
	}
}

func TestGetObjectRanges(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "files")
	ts.mustPut(ts.alice, "files", "digits", "0123456789")

	tests := []struct {
		rng, body, contentRange string
	}{
		{"bytes=2-4", "234", "bytes 2-4/10"},
		{"bytes=7-", "789", "bytes 7-9/10"},
		{"bytes=-3", "789", "bytes 7-9/10"},
		{"bytes=8-100", "89", "bytes 8-9/10"},
	}
	for _, tt := range tests {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("digits"), Range: aws.String(tt.rng)})
		if err != nil {
			t.Fatalf("%s: %v", tt.rng, err)
		}
		body, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(body) != tt.body || aws.ToString(out.ContentRange) != tt.contentRange {
			t.Errorf("%s: body %q range %q, want %q %q", tt.rng, body, aws.ToString(out.ContentRange), tt.body, tt.contentRange)
		}
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("digits"), Range: aws.String("bytes=1000-2000")})
	wantCode(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)

	// Several ranges are ignored as AWS does: the whole object is served.
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("digits"), Range: aws.String("bytes=0-1,3-4")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "0123456789" {
		t.Errorf("multi-range body %q, want whole object", body)
	}
}

func TestGetObjectConditions(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "files")
	put := ts.mustPut(ts.alice, "files", "k", "data")

	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("k"), IfNoneMatch: put.ETag})
	if httpStatus(err) != http.StatusNotModified {
		t.Errorf("If-None-Match current ETag: %v, want 304", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("k"), IfMatch: aws.String(`"0000"`)})
	wantCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("k"), IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	if httpStatus(err) != http.StatusNotModified {
		t.Errorf("If-Modified-Since future: %v, want 304", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("k"), IfMatch: put.ETag})
	if err != nil {
		t.Fatalf("If-Match current ETag: %v", err)
	}
	out.Body.Close()

	// 304 carries the validators.
	req := ts.signedRequest(ts.alice, http.MethodGet, "/files/k", nil)
	req.Header.Set("If-None-Match", aws.ToString(put.ETag))
	ts.sign(ts.alice, req, emptySHA256)
	status, hdr, body := ts.do(req)
	if status != http.StatusNotModified || hdr.Get("ETag") != aws.ToString(put.ETag) || hdr.Get("Last-Modified") == "" || body != "" {
		t.Errorf("304: status %d ETag %q Last-Modified %q body %q", status, hdr.Get("ETag"), hdr.Get("Last-Modified"), body)
	}
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestGetObjectResponseOverrides(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "files")
	ts.mustPut(ts.alice, "files", "k", "data")
	out, err := ts.client(ts.alice).GetObject(context.Background(), &s3.GetObjectInput{
		Bucket:                     aws.String("files"),
		Key:                        aws.String("k"),
		ResponseContentType:        aws.String("image/png"),
		ResponseContentDisposition: aws.String(`attachment; filename="k.png"`),
		ResponseCacheControl:       aws.String("no-store"),
	})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if aws.ToString(out.ContentType) != "image/png" || aws.ToString(out.ContentDisposition) != `attachment; filename="k.png"` ||
		aws.ToString(out.CacheControl) != "no-store" {
		t.Errorf("overrides: type %q disposition %q cache %q", aws.ToString(out.ContentType),
			aws.ToString(out.ContentDisposition), aws.ToString(out.CacheControl))
	}
}

func TestChecksums(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "files")

	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmCrc64nvme} {
		key := "sum-" + string(alg)
		body := bytes.Repeat([]byte("checksum me "), 1000)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("files"), Key: aws.String(key), Body: bytes.NewReader(body), ChecksumAlgorithm: alg,
		})
		if err != nil {
			t.Fatalf("put with %s: %v", alg, err)
		}
		// The SDK validates the returned checksum against the body.
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("get %s: %v", key, err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("get %s: %d bytes, %v", key, len(got), err)
		}
		if want := computeChecksum(string(alg), body); checksumOf(out, alg) != want {
			t.Errorf("%s: header %q, want %q", alg, checksumOf(out, alg), want)
		}
	}

	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("files"), Key: aws.String("bad-sum"), Body: strings.NewReader("data"),
		ChecksumCRC32: aws.String(computeChecksum("CRC32", []byte("other data"))),
	})
	wantCode(t, err, "BadDigest", http.StatusBadRequest)
	ts.assertMissing("files", "bad-sum")
}

func checksumOf(out *s3.GetObjectOutput, alg types.ChecksumAlgorithm) string {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return aws.ToString(out.ChecksumCRC32)
	case types.ChecksumAlgorithmCrc32c:
		return aws.ToString(out.ChecksumCRC32C)
	case types.ChecksumAlgorithmSha1:
		return aws.ToString(out.ChecksumSHA1)
	case types.ChecksumAlgorithmSha256:
		return aws.ToString(out.ChecksumSHA256)
	case types.ChecksumAlgorithmCrc64nvme:
		return aws.ToString(out.ChecksumCRC64NVME)
	}
	return ""
}

func TestPutObjectRejects(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "files")
	otherMD5 := md5.Sum([]byte("something else"))

	tests := []struct {
		name   string
		in     *s3.PutObjectInput
		code   string
		status int
	}{
		{"a wrong Content-MD5", &s3.PutObjectInput{Key: aws.String("md5"), Body: strings.NewReader("data"),
			ContentMD5: aws.String(base64.StdEncoding.EncodeToString(otherMD5[:]))}, "BadDigest", 400},
		{"a Content-MD5 that is not a digest", &s3.PutObjectInput{Key: aws.String("md5"), Body: strings.NewReader("data"),
			ContentMD5: aws.String("bm90IGEgZGlnZXN0")}, "InvalidDigest", 400},
		{"a key over 1024 bytes", &s3.PutObjectInput{Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("data")}, "KeyTooLongError", 400},
		{"another storage class", &s3.PutObjectInput{Key: aws.String("cold"), Body: strings.NewReader("data"),
			StorageClass: types.StorageClassGlacier}, "InvalidStorageClass", 400},
		{"a missing bucket", &s3.PutObjectInput{Bucket: aws.String("nope"), Key: aws.String("k"), Body: strings.NewReader("data")}, "NoSuchBucket", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.Bucket == nil {
				tt.in.Bucket = aws.String("files")
			}
			_, err := c.PutObject(ctx, tt.in)
			wantCode(t, err, tt.code, tt.status)
		})
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("files")})
	if err != nil || len(list.Contents) != 0 {
		t.Errorf("rejected puts stored %d objects (%v)", len(list.Contents), err)
	}
}

func TestConditionalPut(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "files")
	ts.mustPut(ts.alice, "files", "k", "first")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("files"), Key: aws.String("k"), Body: strings.NewReader("second"), IfNoneMatch: aws.String("*")})
	wantCode(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
	if got := ts.mustGet(ts.alice, "files", "k"); got != "first" {
		t.Errorf("after failed conditional put: %q, want first", got)
	}
}

func TestDeleteObjectAndMissingKeys(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "files")
	ts.mustPut(ts.alice, "files", "k", "data")

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("files"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("files"), Key: aws.String("k")})
	wantCode(t, err, "NoSuchKey", http.StatusNotFound)
	// Deleting what does not exist succeeds.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("files"), Key: aws.String("k")}); err != nil {
		t.Errorf("delete missing key: %v", err)
	}

	// The error document names the key and the request.
	status, hdr, body := ts.do(ts.signedRequest(ts.alice, http.MethodGet, "/files/k", nil))
	if status != http.StatusNotFound {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{"<Code>NoSuchKey</Code>", "<Key>k</Key>", "<Resource>/files/k</Resource>",
		"<RequestId>" + hdr.Get("X-Amz-Request-Id") + "</RequestId>"} {
		if !strings.Contains(body, want) {
			t.Errorf("error body %s lacks %s", body, want)
		}
	}
	// HEAD errors have no body.
	status, _, body = ts.do(ts.signedRequest(ts.alice, http.MethodHead, "/files/k", nil))
	if status != http.StatusNotFound || body != "" {
		t.Errorf("HEAD missing: %d %q, want 404 without body", status, body)
	}
}

func TestObjectTagging(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "files")
	ts.mustPut(ts.alice, "files", "k", "data")

	_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{
		Bucket: aws.String("files"), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("b"), Value: aws.String("2")}, {Key: aws.String("a"), Value: aws.String("1")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("files"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.TagSet) != 2 || aws.ToString(got.TagSet[0].Key) != "a" || aws.ToString(got.TagSet[1].Value) != "2" {
		t.Errorf("tags %+v, want a=1 b=2", got.TagSet)
	}
	tooMany := make([]types.Tag, 11)
	for i := range tooMany {
		tooMany[i] = types.Tag{Key: aws.String(strings.Repeat("k", i+1)), Value: aws.String("v")}
	}
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("files"), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: tooMany}})
	wantCode(t, err, "InvalidTag", http.StatusBadRequest)

	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("files"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("files"), Key: aws.String("k")})
	if err != nil || len(got.TagSet) != 0 {
		t.Errorf("after delete: %+v (%v), want no tags", got.TagSet, err)
	}
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("files"), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey", http.StatusNotFound)

	acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("files"), Key: aws.String("k")})
	if err != nil || len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl {
		t.Errorf("object ACL %+v (%v), want owner FULL_CONTROL", acl, err)
	}
}
