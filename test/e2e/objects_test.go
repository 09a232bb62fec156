package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestObjectPutGetHeadDelete(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	body := []byte("hello, quarry")

	put := putObject(t, c, bucket, "greeting.txt", body)
	if got, want := aws.ToString(put.ETag), quoted(md5Hex(body)); got != want {
		t.Errorf("PutObject ETag = %s, want %s", got, want)
	}
	got, out := mustGet(t, c, bucket, "greeting.txt", "")
	if !bytes.Equal(got, body) {
		t.Errorf("GetObject body = %q, want %q", got, body)
	}
	if aws.ToString(out.ETag) != quoted(md5Hex(body)) || aws.ToInt64(out.ContentLength) != int64(len(body)) {
		t.Errorf("GetObject ETag %s length %d, want %s %d", aws.ToString(out.ETag), aws.ToInt64(out.ContentLength), quoted(md5Hex(body)), len(body))
	}
	if out.LastModified == nil || time.Since(*out.LastModified) > time.Minute || time.Until(*out.LastModified) > time.Minute {
		t.Errorf("GetObject LastModified = %v, want about now", out.LastModified)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("greeting.txt")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.ETag) != quoted(md5Hex(body)) {
		t.Errorf("HeadObject length %d ETag %s, want %d %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), len(body), quoted(md5Hex(body)))
	}

	// Overwrite, then delete.
	putObject(t, c, bucket, "greeting.txt", []byte("v2"))
	if got, _ := mustGet(t, c, bucket, "greeting.txt", ""); string(got) != "v2" {
		t.Errorf("after overwrite GetObject = %q, want v2", got)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("greeting.txt")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("greeting.txt")})
	wantErr(t, "GetObject after delete", err, http.StatusNotFound, "NoSuchKey")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("greeting.txt")})
	wantErr(t, "HeadObject after delete", err, http.StatusNotFound, "")
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("never-existed")}); err != nil {
		t.Errorf("DeleteObject of a missing key: %v, want success", err)
	}
	empty := putObject(t, c, bucket, "empty", nil)
	if aws.ToString(empty.ETag) != quoted(md5Hex(nil)) {
		t.Errorf("empty object ETag = %s", aws.ToString(empty.ETag))
	}
	if got, _ := mustGet(t, c, bucket, "empty", ""); len(got) != 0 {
		t.Errorf("empty object read back %d bytes", len(got))
	}
}

func TestObjectMetadataAndStoredHeadersRoundTrip(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	meta := map[string]string{"color": "blue", "mixed-case": "Value With Spaces"}

	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:             aws.String(bucket),
		Key:                aws.String("doc"),
		Body:               strings.NewReader("content"),
		ContentType:        aws.String("text/markdown; charset=utf-8"),
		CacheControl:       aws.String("max-age=3600, public"),
		ContentDisposition: aws.String(`attachment; filename="doc.md"`),
		ContentEncoding:    aws.String("compress"),
		ContentLanguage:    aws.String("fr-CA"),
		Expires:            &expires,
		Metadata:           map[string]string{"Color": "blue", "Mixed-Case": "Value With Spaces"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	check := func(what string, ct, cc, cd, ce, cl, exp *string, md map[string]string) {
		t.Helper()
		for _, f := range []struct{ name, got, want string }{
			{"Content-Type", aws.ToString(ct), "text/markdown; charset=utf-8"},
			{"Cache-Control", aws.ToString(cc), "max-age=3600, public"},
			{"Content-Disposition", aws.ToString(cd), `attachment; filename="doc.md"`},
			{"Content-Encoding", aws.ToString(ce), "compress"},
			{"Content-Language", aws.ToString(cl), "fr-CA"},
			{"Expires", aws.ToString(exp), expires.Format(http.TimeFormat)},
		} {
			if f.got != f.want {
				t.Errorf("%s %s = %q, want %q", what, f.name, f.got, f.want)
			}
		}
		if !maps.Equal(md, meta) {
			t.Errorf("%s user metadata = %v, want %v", what, md, meta)
		}
	}
	_, out := mustGet(t, c, bucket, "doc", "")
	check("GetObject", out.ContentType, out.CacheControl, out.ContentDisposition, out.ContentEncoding, out.ContentLanguage, out.ExpiresString, out.Metadata)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	check("HeadObject", head.ContentType, head.CacheControl, head.ContentDisposition, head.ContentEncoding, head.ContentLanguage, head.ExpiresString, head.Metadata)

	// response-* query parameters override what is sent back, not what is stored.
	respExpires := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	_, over := mustGetInput(t, c, &s3.GetObjectInput{
		Bucket:                     aws.String(bucket),
		Key:                        aws.String("doc"),
		ResponseContentType:        aws.String("application/x-override"),
		ResponseCacheControl:       aws.String("no-store"),
		ResponseContentDisposition: aws.String("inline"),
		ResponseContentEncoding:    aws.String("identity"),
		ResponseContentLanguage:    aws.String("de"),
		ResponseExpires:            &respExpires,
	})
	for _, f := range []struct{ name, got, want string }{
		{"Content-Type", aws.ToString(over.ContentType), "application/x-override"},
		{"Cache-Control", aws.ToString(over.CacheControl), "no-store"},
		{"Content-Disposition", aws.ToString(over.ContentDisposition), "inline"},
		{"Content-Encoding", aws.ToString(over.ContentEncoding), "identity"},
		{"Content-Language", aws.ToString(over.ContentLanguage), "de"},
		{"Expires", aws.ToString(over.ExpiresString), respExpires.Format(http.TimeFormat)},
	} {
		if f.got != f.want {
			t.Errorf("GetObject with response-%s override = %q, want %q", strings.ToLower(f.name), f.got, f.want)
		}
	}
	_, again := mustGet(t, c, bucket, "doc", "")
	if aws.ToString(again.ContentType) != "text/markdown; charset=utf-8" {
		t.Errorf("stored Content-Type changed by an override: %q", aws.ToString(again.ContentType))
	}
}

func mustGetInput(t *testing.T, c *s3.Client, in *s3.GetObjectInput) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(t.Context(), in)
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", aws.ToString(in.Bucket), aws.ToString(in.Key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s: read: %v", aws.ToString(in.Bucket), aws.ToString(in.Key), err)
	}
	return b, out
}

func TestObjectRanges(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	body := randomBytes(7, 1000)
	putObject(t, c, bucket, "r", body)

	tests := []struct {
		name        string
		rng         string
		first, last int
	}{
		{"a first-last range returns those bytes", "bytes=0-9", 0, 9},
		{"a middle range returns those bytes", "bytes=100-199", 100, 199},
		{"an open-ended range runs to the end", "bytes=990-", 990, 999},
		{"a suffix range returns the last bytes", "bytes=-7", 993, 999},
		{"a range beyond the end is clamped", "bytes=995-5000", 995, 999},
		{"a suffix longer than the object returns it all", "bytes=-5000", 0, 999},
		{"a one-byte range at the end", "bytes=999-999", 999, 999},
	}
	for _, tt := range tests {
		got, out := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String(tt.rng)})
		if !bytes.Equal(got, body[tt.first:tt.last+1]) {
			t.Errorf("%s (%s): got %d bytes, want bytes %d-%d", tt.name, tt.rng, len(got), tt.first, tt.last)
		}
		wantCR := "bytes " + strconv.Itoa(tt.first) + "-" + strconv.Itoa(tt.last) + "/1000"
		if aws.ToString(out.ContentRange) != wantCR {
			t.Errorf("%s (%s): Content-Range = %q, want %q", tt.name, tt.rng, aws.ToString(out.ContentRange), wantCR)
		}
		if aws.ToInt64(out.ContentLength) != int64(tt.last-tt.first+1) {
			t.Errorf("%s (%s): Content-Length = %d", tt.name, tt.rng, aws.ToInt64(out.ContentLength))
		}
	}
	for _, rng := range []string{"bytes=1000-", "bytes=5000-6000", "bytes=1000-1000"} {
		_, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String(rng)})
		wantErr(t, "unsatisfiable range "+rng, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	}
}

func TestObjectConditionalRequests(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	put := putObject(t, c, bucket, "cond", []byte("conditional"))
	etag := aws.ToString(put.ETag)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("cond")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	lm := aws.ToTime(head.LastModified)
	before, after := lm.Add(-time.Hour), lm.Add(time.Hour)

	tests := []struct {
		name   string
		in     s3.GetObjectInput
		status int // 200 for success
	}{
		{"If-Match with the current ETag succeeds", s3.GetObjectInput{IfMatch: aws.String(etag)}, 200},
		{"If-Match with * succeeds", s3.GetObjectInput{IfMatch: aws.String("*")}, 200},
		{"If-Match with another ETag fails with 412", s3.GetObjectInput{IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)}, 412},
		{"If-None-Match with the current ETag answers 304", s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, 304},
		{"If-None-Match with another ETag succeeds", s3.GetObjectInput{IfNoneMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)}, 200},
		{"If-Modified-Since after the last change answers 304", s3.GetObjectInput{IfModifiedSince: &after}, 304},
		{"If-Modified-Since before the last change succeeds", s3.GetObjectInput{IfModifiedSince: &before}, 200},
		{"If-Unmodified-Since before the last change fails with 412", s3.GetObjectInput{IfUnmodifiedSince: &before}, 412},
		{"If-Unmodified-Since after the last change succeeds", s3.GetObjectInput{IfUnmodifiedSince: &after}, 200},
		{"If-Match true wins over If-Unmodified-Since false", s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: &before}, 200},
		{"If-None-Match false wins over If-Modified-Since true", s3.GetObjectInput{IfNoneMatch: aws.String(etag), IfModifiedSince: &before}, 304},
	}
	for _, tt := range tests {
		in := tt.in
		in.Bucket, in.Key = aws.String(bucket), aws.String("cond")
		out, err := c.GetObject(ctx, &in)
		if tt.status == 200 {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(b) != "conditional" {
				t.Errorf("%s: body %q", tt.name, b)
			}
			continue
		}
		code := "PreconditionFailed"
		if tt.status == 304 {
			code = ""
		}
		wantErr(t, tt.name, err, tt.status, code)
	}
	// HEAD follows the same rules.
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("cond"), IfNoneMatch: aws.String(etag)})
	wantErr(t, "HeadObject If-None-Match with the current ETag", err, http.StatusNotModified, "")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("cond"), IfMatch: aws.String(`"ffff"`)})
	wantErr(t, "HeadObject If-Match with another ETag", err, http.StatusPreconditionFailed, "")
}

func TestCopyObject(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	other := newBucket(t, c)
	body := randomBytes(11, 64<<10)
	src, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("src key"), Body: bytes.NewReader(body),
		ContentType: aws.String("image/png"), Metadata: map[string]string{"origin": "camera"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	// COPY (the default directive) keeps the source's metadata.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(other), Key: aws.String("copied"), CopySource: aws.String(bucket + "/src%20key"),
	})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if cp.CopyObjectResult == nil || aws.ToString(cp.CopyObjectResult.ETag) != aws.ToString(src.ETag) {
		t.Errorf("CopyObject result ETag = %v, want %s", cp.CopyObjectResult, aws.ToString(src.ETag))
	}
	got, out := mustGet(t, c, other, "copied", "")
	if !bytes.Equal(got, body) {
		t.Errorf("copied object differs from the source (%d bytes vs %d)", len(got), len(body))
	}
	if aws.ToString(out.ContentType) != "image/png" || out.Metadata["origin"] != "camera" {
		t.Errorf("COPY directive: Content-Type %q metadata %v, want image/png origin=camera", aws.ToString(out.ContentType), out.Metadata)
	}

	// REPLACE takes the request's metadata.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(other), Key: aws.String("replaced"), CopySource: aws.String(bucket + "/src%20key"),
		MetadataDirective: types.MetadataDirectiveReplace,
		ContentType:       aws.String("text/plain"),
		Metadata:          map[string]string{"edited": "yes"},
	})
	if err != nil {
		t.Fatalf("CopyObject REPLACE: %v", err)
	}
	_, out = mustGet(t, c, other, "replaced", "")
	if aws.ToString(out.ContentType) != "text/plain" || !maps.Equal(out.Metadata, map[string]string{"edited": "yes"}) {
		t.Errorf("REPLACE directive: Content-Type %q metadata %v, want text/plain edited=yes only", aws.ToString(out.ContentType), out.Metadata)
	}

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(other), Key: aws.String("never"), CopySource: aws.String(bucket + "/src%20key"),
		CopySourceIfMatch: aws.String(`"00000000000000000000000000000000"`),
	})
	wantErr(t, "CopyObject with a failing x-amz-copy-source-if-match", err, http.StatusPreconditionFailed, "PreconditionFailed")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(other), Key: aws.String("never")})
	wantErr(t, "HeadObject of a copy whose precondition failed", err, http.StatusNotFound, "")

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("src key"), CopySource: aws.String(bucket + "/src%20key"),
	})
	wantErr(t, "CopyObject onto itself without REPLACE", err, http.StatusBadRequest, "InvalidRequest")

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("src key"), CopySource: aws.String(bucket + "/src%20key"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"origin": "scanner"},
	})
	if err != nil {
		t.Fatalf("CopyObject onto itself with REPLACE: %v", err)
	}
	got, out = mustGet(t, c, bucket, "src key", "")
	if !bytes.Equal(got, body) || out.Metadata["origin"] != "scanner" {
		t.Errorf("self-copy with REPLACE: same body %v, metadata %v", bytes.Equal(got, body), out.Metadata)
	}

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(other), Key: aws.String("x"), CopySource: aws.String(bucket + "/missing"),
	})
	wantErr(t, "CopyObject of a missing source", err, http.StatusNotFound, "NoSuchKey")
}

func TestDeleteObjects(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	for _, k := range []string{"a", "b", "c", "d", "keep"} {
		putObject(t, c, bucket, k, []byte(k))
	}
	ids := func(keys ...string) []types.ObjectIdentifier {
		var out []types.ObjectIdentifier
		for _, k := range keys {
			out = append(out, types.ObjectIdentifier{Key: aws.String(k)})
		}
		return out
	}

	res, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids("a", "b", "missing")},
	})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	var deleted []string
	for _, d := range res.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	slices.Sort(deleted)
	if !slices.Equal(deleted, []string{"a", "b", "missing"}) || len(res.Errors) != 0 {
		t.Errorf("DeleteObjects reported deleted %v errors %v, want [a b missing] and none", deleted, res.Errors)
	}

	res, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids("c", "d"), Quiet: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("DeleteObjects quiet: %v", err)
	}
	if len(res.Deleted) != 0 || len(res.Errors) != 0 {
		t.Errorf("quiet DeleteObjects reported %d deleted and %d errors, want none", len(res.Deleted), len(res.Errors))
	}
	if keys := listKeys(t, c, bucket, ""); !slices.Equal(keys, []string{"keep"}) {
		t.Errorf("after DeleteObjects the bucket lists %v, want [keep]", keys)
	}
}

// listKeys lists every key of bucket under prefix with ListObjectsV2.
func listKeys(t *testing.T, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListObjectsV2 %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func TestObjectTagging(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("tagged"), Body: strings.NewReader("x"),
		Tagging: aws.String("project=apollo&stage=one%20two"),
	})
	if err != nil {
		t.Fatalf("PutObject with tagging: %v", err)
	}
	getTags := func() map[string]string {
		t.Helper()
		out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("tagged")})
		if err != nil {
			t.Fatalf("GetObjectTagging: %v", err)
		}
		return tagMap(out.TagSet)
	}
	if got, want := getTags(), map[string]string{"project": "apollo", "stage": "one two"}; !maps.Equal(got, want) {
		t.Errorf("tags from PutObject = %v, want %v", got, want)
	}
	_, out := mustGet(t, c, bucket, "tagged", "")
	if aws.ToInt32(out.TagCount) != 2 {
		t.Errorf("GetObject x-amz-tagging-count = %d, want 2", aws.ToInt32(out.TagCount))
	}

	want := map[string]string{"replaced": "true"}
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{
		Bucket: aws.String(bucket), Key: aws.String("tagged"), Tagging: &types.Tagging{TagSet: tagSet(want)},
	})
	if err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	if got := getTags(); !maps.Equal(got, want) {
		t.Errorf("tags after PutObjectTagging = %v, want %v", got, want)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("tagged")}); err != nil {
		t.Fatalf("DeleteObjectTagging: %v", err)
	}
	if got := getTags(); len(got) != 0 {
		t.Errorf("tags after DeleteObjectTagging = %v, want none", got)
	}
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
	wantErr(t, "GetObjectTagging of a missing key", err, http.StatusNotFound, "NoSuchKey")
}

func TestContentMD5IsVerified(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	body := []byte("digest me")
	right := md5.Sum(body)
	wrong := md5.Sum([]byte("something else"))

	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("right"), Body: bytes.NewReader(body),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(right[:])),
	})
	if err != nil {
		t.Errorf("PutObject with the right Content-MD5: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("wrong"), Body: bytes.NewReader(body),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(wrong[:])),
	})
	wantErr(t, "PutObject with a wrong Content-MD5", err, http.StatusBadRequest, "BadDigest")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("wrong")})
	wantErr(t, "HeadObject of an object refused for its digest", err, http.StatusNotFound, "")
}

func TestChecksumsAreStoredAndReturned(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	body := randomBytes(3, 300<<10)
	crc := func(tab *crc32.Table) string {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], crc32.Checksum(body, tab))
		return base64.StdEncoding.EncodeToString(b[:])
	}
	sum := sha256.Sum256(body)
	tests := []struct {
		alg  types.ChecksumAlgorithm
		want string
		got  func(*s3.GetObjectOutput) *string
		put  func(*s3.PutObjectOutput) *string
	}{
		{types.ChecksumAlgorithmCrc32, crc(crc32.IEEETable),
			func(o *s3.GetObjectOutput) *string { return o.ChecksumCRC32 }, func(o *s3.PutObjectOutput) *string { return o.ChecksumCRC32 }},
		{types.ChecksumAlgorithmCrc32c, crc(crc32.MakeTable(crc32.Castagnoli)),
			func(o *s3.GetObjectOutput) *string { return o.ChecksumCRC32C }, func(o *s3.PutObjectOutput) *string { return o.ChecksumCRC32C }},
		{types.ChecksumAlgorithmSha256, base64.StdEncoding.EncodeToString(sum[:]),
			func(o *s3.GetObjectOutput) *string { return o.ChecksumSHA256 }, func(o *s3.PutObjectOutput) *string { return o.ChecksumSHA256 }},
	}
	for _, tt := range tests {
		key := "sum-" + string(tt.alg)
		put, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
			ChecksumAlgorithm: tt.alg,
		})
		if err != nil {
			t.Errorf("PutObject with %s: %v", tt.alg, err)
			continue
		}
		if got := aws.ToString(tt.put(put)); got != tt.want {
			t.Errorf("PutObject %s checksum = %q, want %q", tt.alg, got, tt.want)
		}
		// ChecksumMode ENABLED makes the SDK validate the body against it.
		got, out := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if !bytes.Equal(got, body) {
			t.Errorf("GetObject %s: body differs", key)
		}
		if v := aws.ToString(tt.got(out)); v != tt.want {
			t.Errorf("GetObject %s checksum = %q, want %q", tt.alg, v, tt.want)
		}
	}
	// By default the SDK sends a CRC32, over plain HTTP in a header (over
	// TLS in an aws-chunked trailer: see TestSelfSignedTLS). It is stored,
	// as on AWS.
	defaults := []struct {
		key  string
		body io.Reader
	}{
		{"default-header", bytes.NewReader(body)},
	}
	for _, d := range defaults {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(d.key), Body: d.body, ContentLength: aws.Int64(int64(len(body))),
		})
		if err != nil {
			t.Errorf("PutObject %s with the SDK's default checksum: %v", d.key, err)
			continue
		}
		got, out := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(d.key), ChecksumMode: types.ChecksumModeEnabled})
		if !bytes.Equal(got, body) {
			t.Errorf("%s reads back different bytes", d.key)
		}
		if v := aws.ToString(out.ChecksumCRC32); v != crc(crc32.IEEETable) {
			t.Errorf("%s: stored CRC32 = %q, want %q (what the SDK sent)", d.key, v, crc(crc32.IEEETable))
		}
	}

	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("bad-sum"), Body: bytes.NewReader(body),
		ChecksumCRC32: aws.String("AAAAAA=="),
	})
	wantErr(t, "PutObject with a wrong x-amz-checksum-crc32", err, http.StatusBadRequest, "BadDigest")
}

func TestUnusualKeysRoundTripAndStayInsideTheDataDir(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	keys := []string{
		"with space",
		"plus+sign",
		"percent%20literal",
		"100%",
		"unicode/ünïcødé/日本語",
		"../x",
		"a/../../escape",
		"./dot",
		"question?mark",
		"hash#tag",
		"semi;colon&amp=eq",
		"double//slash",
		"trailing/",
		"tilde~star*",
		strings.Repeat("k", 1024),
	}
	for i, k := range keys {
		putObject(t, c, bucket, k, []byte(k+strconv.Itoa(i)))
	}
	for i, k := range keys {
		b, _, err := getBody(t.Context(), c, bucket, k, "")
		if err != nil {
			t.Errorf("GetObject %q: %v", k, err)
			continue
		}
		if string(b) != k+strconv.Itoa(i) {
			t.Errorf("GetObject %q = %q, want %q", k, b, k+strconv.Itoa(i))
		}
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if got := listKeys(t, c, bucket, ""); !slices.Equal(got, want) {
		t.Errorf("listing = %q, want %q", got, want)
	}

	// Nothing may be written beside the data directory.
	parent := filepath.Dir(sharedSrv.DataDir)
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(sharedSrv.DataDir) {
			t.Errorf("unexpected %s next to the data directory", filepath.Join(parent, e.Name()))
		}
	}
	_ = filepath.WalkDir(sharedSrv.DataDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && (d.Name() == "x" || d.Name() == "escape") {
			t.Errorf("a key became a file path: %s", path)
		}
		return nil
	})

	_, err = c.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x"),
	})
	wantErr(t, "PutObject with a 1025-byte key", err, http.StatusBadRequest, "KeyTooLongError")
}
