package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const mib = 1 << 20

// multipartETag is S3's ETag of a multipart object: the MD5 of the parts'
// binary MD5s, then "-" and the part count.
func multipartETag(parts [][]byte) string {
	var cat []byte
	for _, p := range parts {
		sum := md5.Sum(p)
		cat = append(cat, sum[:]...)
	}
	sum := md5.Sum(cat)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(parts))
}

func createUpload(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s: %v", key, err)
	}
	return aws.ToString(out.UploadId)
}

func uploadPart(t *testing.T, c *s3.Client, bucket, key, id string, n int32, body []byte) types.CompletedPart {
	t.Helper()
	out, err := c.UploadPart(t.Context(), &s3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(n), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("UploadPart %d of %s: %v", n, key, err)
	}
	if got, want := aws.ToString(out.ETag), quoted(md5Hex(body)); got != want {
		t.Errorf("UploadPart %d ETag = %s, want %s", n, got, want)
	}
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag}
}

func complete(t *testing.T, c *s3.Client, bucket, key, id string, parts []types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	t.Helper()
	return c.CompleteMultipartUpload(t.Context(), &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
}

func TestMultipartUploadOf50MiB(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	data := randomBytes(50, 50*mib)
	var chunks [][]byte
	for off := 0; off < len(data); off += 8 * mib {
		chunks = append(chunks, data[off:min(off+8*mib, len(data))])
	}
	id := createUpload(t, c, bucket, "big")
	var parts []types.CompletedPart
	for i, ch := range chunks {
		parts = append(parts, uploadPart(t, c, bucket, "big", id, int32(i+1), ch))
	}
	out, err := complete(t, c, bucket, "big", id, parts)
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	wantETag := quoted(multipartETag(chunks))
	if got := aws.ToString(out.ETag); got != wantETag {
		t.Errorf("CompleteMultipartUpload ETag = %s, want %s", got, wantETag)
	}
	got, obj := mustGet(t, c, bucket, "big", "")
	if sha256Hex(got) != sha256Hex(data) {
		t.Errorf("multipart object read back differs (%d bytes, want %d)", len(got), len(data))
	}
	if aws.ToString(obj.ETag) != wantETag {
		t.Errorf("GetObject ETag = %s, want %s", aws.ToString(obj.ETag), wantETag)
	}

	// partNumber selects one part.
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatalf("HeadObject partNumber=2: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != 8*mib || aws.ToInt32(head.PartsCount) != int32(len(chunks)) {
		t.Errorf("HeadObject partNumber=2: length %d parts %d, want %d %d", aws.ToInt64(head.ContentLength), aws.ToInt32(head.PartsCount), 8*mib, len(chunks))
	}
	last, _ := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), PartNumber: aws.Int32(int32(len(chunks)))})
	if !bytes.Equal(last, chunks[len(chunks)-1]) {
		t.Errorf("GetObject of the last part: %d bytes, want %d equal bytes", len(last), len(chunks[len(chunks)-1]))
	}
	// A range across a part boundary.
	across, _ := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), Range: aws.String(fmt.Sprintf("bytes=%d-%d", 8*mib-100, 8*mib+99))})
	if !bytes.Equal(across, data[8*mib-100:8*mib+100]) {
		t.Error("range across a part boundary differs")
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("big"), UploadId: aws.String(id)})
	wantErr(t, "ListParts of a completed upload", err, http.StatusNotFound, "NoSuchUpload")
}

func TestUploadManager(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	data := randomBytes(30, 30*mib+12345)
	// The manager is deprecated in favour of feature/s3/transfermanager,
	// which go.mod does not carry; it is still what most clients run.
	//lint:ignore SA1019 see above
	up := manager.NewUploader(c) // 5 MiB parts, concurrent, SDK default checksums
	//lint:ignore SA1019 see above
	out, err := up.Upload(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("managed"), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("upload manager: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(out.ETag), `-7"`) {
		t.Errorf("upload manager ETag = %s, want a 7-part multipart ETag", aws.ToString(out.ETag))
	}
	got, _ := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("managed"), ChecksumMode: types.ChecksumModeEnabled})
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("managed upload read back differs (%d bytes, want %d)", len(got), len(data))
	}

	// Downloader does ranged GETs in parallel.
	buf := manager.NewWriteAtBuffer(nil)
	//lint:ignore SA1019 see above
	n, err := manager.NewDownloader(c).Download(t.Context(), buf, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("managed")})
	if err != nil {
		t.Fatalf("download manager: %v", err)
	}
	if n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
		t.Errorf("download manager got %d bytes, want %d equal bytes", n, len(data))
	}
}

func TestUploadPartCopy(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	src := randomBytes(6, 6*mib)
	putObject(t, c, bucket, "source", src)

	id := createUpload(t, c, bucket, "assembled")
	var parts []types.CompletedPart
	for i, rng := range []string{"", "bytes=0-1023"} {
		in := &s3.UploadPartCopyInput{
			Bucket: aws.String(bucket), Key: aws.String("assembled"), UploadId: aws.String(id),
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(bucket + "/source"),
		}
		if rng != "" {
			in.CopySourceRange = aws.String(rng)
		}
		out, err := c.UploadPartCopy(ctx, in)
		if err != nil {
			t.Fatalf("UploadPartCopy %d (%q): %v", i+1, rng, err)
		}
		if out.CopyPartResult == nil || out.CopyPartResult.ETag == nil {
			t.Fatalf("UploadPartCopy %d: no ETag in the result", i+1)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	if _, err := complete(t, c, bucket, "assembled", id, parts); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	want := append(slices.Clone(src), src[:1024]...)
	got, out := mustGet(t, c, bucket, "assembled", "")
	if !bytes.Equal(got, want) {
		t.Errorf("assembled object: %d bytes, want %d equal bytes", len(got), len(want))
	}
	if e := aws.ToString(out.ETag); e != quoted(multipartETag([][]byte{src, src[:1024]})) {
		t.Errorf("assembled ETag = %s, want %s", e, quoted(multipartETag([][]byte{src, src[:1024]})))
	}
}

func TestListPartsListUploadsAndAbort(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	p1, p2 := randomBytes(1, 5*mib), randomBytes(2, 1000)
	id := createUpload(t, c, bucket, "docs/one")
	other := createUpload(t, c, bucket, "docs/two")
	uploadPart(t, c, bucket, "docs/one", id, 1, p1)
	uploadPart(t, c, bucket, "docs/one", id, 2, p2)

	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("docs/one"), UploadId: aws.String(id)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	var got []string
	for _, p := range parts.Parts {
		got = append(got, fmt.Sprintf("%d:%d:%s", aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size), aws.ToString(p.ETag)))
	}
	want := []string{"1:" + fmt.Sprint(5*mib) + ":" + quoted(md5Hex(p1)), "2:1000:" + quoted(md5Hex(p2))}
	if !slices.Equal(got, want) {
		t.Errorf("ListParts = %v, want %v", got, want)
	}
	page, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("docs/one"), UploadId: aws.String(id), MaxParts: aws.Int32(1)})
	if err != nil {
		t.Fatalf("ListParts max-parts 1: %v", err)
	}
	if len(page.Parts) != 1 || !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextPartNumberMarker) != "1" {
		t.Errorf("ListParts max-parts 1: %d parts truncated %v next %q, want 1 true 1", len(page.Parts), aws.ToBool(page.IsTruncated), aws.ToString(page.NextPartNumberMarker))
	}
	rest, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("docs/one"), UploadId: aws.String(id), PartNumberMarker: aws.String("1")})
	if err != nil {
		t.Fatalf("ListParts part-number-marker 1: %v", err)
	}
	if len(rest.Parts) != 1 || aws.ToInt32(rest.Parts[0].PartNumber) != 2 {
		t.Errorf("ListParts after marker 1: %d parts", len(rest.Parts))
	}

	uploads := func() []string {
		t.Helper()
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		var ids []string
		for _, u := range out.Uploads {
			ids = append(ids, aws.ToString(u.Key)+"@"+aws.ToString(u.UploadId))
		}
		return ids
	}
	if got, want := uploads(), []string{"docs/one@" + id, "docs/two@" + other}; !slices.Equal(got, want) {
		t.Errorf("ListMultipartUploads = %v, want %v", got, want)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("docs/one"), UploadId: aws.String(id)}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	if got, want := uploads(), []string{"docs/two@" + other}; !slices.Equal(got, want) {
		t.Errorf("ListMultipartUploads after abort = %v, want %v", got, want)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("docs/one"), UploadId: aws.String(id)})
	wantErr(t, "ListParts of an aborted upload", err, http.StatusNotFound, "NoSuchUpload")
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("docs/one"), UploadId: aws.String(id), PartNumber: aws.Int32(3), Body: strings.NewReader("x")})
	wantErr(t, "UploadPart to an aborted upload", err, http.StatusNotFound, "NoSuchUpload")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("docs/one")})
	wantErr(t, "HeadObject of an aborted upload's key", err, http.StatusNotFound, "")
	// As on AWS, uploads in progress do not keep a bucket alive: deleting it
	// discards them.
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucket with only an upload in progress: %v", err)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("docs/two"), UploadId: aws.String(other)})
	wantErr(t, "ListParts of an upload of a deleted bucket", err, http.StatusNotFound, "")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("re-create bucket: %v", err)
	}
	if got := uploads(); len(got) != 0 {
		t.Errorf("a re-created bucket lists the uploads of its predecessor: %v", got)
	}
}

func TestCompleteMultipartUploadRefusesBadPartLists(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	big, small := randomBytes(5, 5*mib), randomBytes(9, 1*mib)

	id := createUpload(t, c, bucket, "order")
	a := uploadPart(t, c, bucket, "order", id, 1, big)
	b := uploadPart(t, c, bucket, "order", id, 2, small)
	_, err := complete(t, c, bucket, "order", id, []types.CompletedPart{b, a})
	wantErr(t, "Complete with parts out of order", err, http.StatusBadRequest, "InvalidPartOrder")

	wrong := types.CompletedPart{PartNumber: aws.Int32(2), ETag: aws.String(quoted(md5Hex([]byte("not this part"))))}
	_, err = complete(t, c, bucket, "order", id, []types.CompletedPart{a, wrong})
	wantErr(t, "Complete with a wrong part ETag", err, http.StatusBadRequest, "InvalidPart")
	missing := types.CompletedPart{PartNumber: aws.Int32(7), ETag: b.ETag}
	_, err = complete(t, c, bucket, "order", id, []types.CompletedPart{a, missing})
	wantErr(t, "Complete with a part never uploaded", err, http.StatusBadRequest, "InvalidPart")

	// The upload survives refused completions and can still be completed.
	if _, err := complete(t, c, bucket, "order", id, []types.CompletedPart{a, b}); err != nil {
		t.Fatalf("Complete after refused attempts: %v", err)
	}
	if got, _ := mustGet(t, c, bucket, "order", ""); !bytes.Equal(got, append(slices.Clone(big), small...)) {
		t.Error("completed object differs from its parts")
	}

	id = createUpload(t, c, bucket, "small")
	s1 := uploadPart(t, c, bucket, "small", id, 1, small)
	s2 := uploadPart(t, c, bucket, "small", id, 2, small)
	_, err = complete(t, c, bucket, "small", id, []types.CompletedPart{s1, s2})
	wantErr(t, "Complete with a non-last part under 5 MiB", err, http.StatusBadRequest, "EntityTooSmall")
	_, err = c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("small")})
	wantErr(t, "HeadObject after a refused completion", err, http.StatusNotFound, "")
}

// The completion's x-amz-expiration comes from the bucket its commit read,
// as PutObject's does: the rule that will expire the new object, and none
// for an object no rule selects.
func TestCompleteMultipartUploadAnnouncesTheRuleThatWillExpireTheObject(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putLifecycle(t, c, bucket, expireRule("mp-rule", "tmp/", 30))
	exp := regexp.MustCompile(`^expiry-date="[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", rule-id="mp-rule"$`)
	for _, tt := range []struct {
		key     string
		expires bool
	}{{"tmp/mp", true}, {"keep/mp", false}} {
		id := createUpload(t, c, bucket, tt.key)
		part := uploadPart(t, c, bucket, tt.key, id, 1, []byte("part"))
		done, err := complete(t, c, bucket, tt.key, id, []types.CompletedPart{part})
		if err != nil {
			t.Fatalf("CompleteMultipartUpload %s: %v", tt.key, err)
		}
		got := aws.ToString(done.Expiration)
		if tt.expires && !exp.MatchString(got) {
			t.Errorf("%s: x-amz-expiration %q, want rule mp-rule's", tt.key, got)
		}
		if !tt.expires && done.Expiration != nil {
			t.Errorf("%s: x-amz-expiration %q, want none", tt.key, got)
		}
	}
}
