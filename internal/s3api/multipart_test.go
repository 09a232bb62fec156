package s3api

//lint:file-ignore SA1019 the deprecated upload manager is what clients run today

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// startUpload creates an upload and returns its id.
func startUpload(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String("video/mp4"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.UploadId) == "" || aws.ToString(out.Key) != key || aws.ToString(out.Bucket) != bucket {
		t.Fatalf("create upload: %+v", out)
	}
	return aws.ToString(out.UploadId)
}

func uploadPart(t *testing.T, c *s3.Client, bucket, key, id string, n int32, data []byte) types.CompletedPart {
	t.Helper()
	out, err := c.UploadPart(context.Background(), &s3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(n), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("upload part %d: %v", n, err)
	}
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag}
}

func TestMultipartUpload(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "big")
	id := startUpload(t, c, "big", "movie")

	part1 := randomBytes(testMinPartSize + 100)
	part2 := []byte("tail")
	p1 := uploadPart(t, c, "big", "movie", id, 1, part1)
	p2 := uploadPart(t, c, "big", "movie", id, 2, part2)

	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("big")})
	if err != nil || len(uploads.Uploads) != 1 || aws.ToString(uploads.Uploads[0].UploadId) != id {
		t.Fatalf("list uploads: %+v (%v)", uploads, err)
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("big"), Key: aws.String("movie"), UploadId: aws.String(id)})
	if err != nil || len(parts.Parts) != 2 || aws.ToInt64(parts.Parts[0].Size) != int64(len(part1)) || aws.ToString(parts.Parts[1].ETag) != aws.ToString(p2.ETag) {
		t.Fatalf("list parts: %+v (%v)", parts, err)
	}
	page, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("big"), Key: aws.String("movie"), UploadId: aws.String(id), MaxParts: aws.Int32(1)})
	if err != nil || len(page.Parts) != 1 || !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextPartNumberMarker) != "1" {
		t.Errorf("first page of parts: %+v (%v)", page, err)
	}

	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("big"), Key: aws.String("movie"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{p1, p2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if etag := aws.ToString(done.ETag); len(etag) < 4 || etag[len(etag)-3:] != `-2"` || aws.ToString(done.Location) == "" {
		t.Errorf("complete: ETag %q location %q", etag, aws.ToString(done.Location))
	}
	want := append(append([]byte{}, part1...), part2...)
	if got := ts.mustGet(ts.alice, "big", "movie"); got != string(want) {
		t.Errorf("assembled object: %d bytes, want %d", len(got), len(want))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("big"), Key: aws.String("movie"), PartNumber: aws.Int32(2)})
	if err != nil || aws.ToInt32(head.PartsCount) != 2 || aws.ToInt64(head.ContentLength) != 4 || aws.ToString(head.ContentType) != "video/mp4" {
		t.Errorf("head part 2: %+v (%v)", head, err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("movie"), PartNumber: aws.Int32(3)})
	wantCode(t, err, "InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable)

	uploads, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("big")})
	if err != nil || len(uploads.Uploads) != 0 {
		t.Errorf("uploads after complete: %+v (%v)", uploads.Uploads, err)
	}
}

func TestMultipartRejects(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "big")
	id := startUpload(t, c, "big", "k")
	small1 := uploadPart(t, c, "big", "k", id, 1, []byte("tiny"))
	small2 := uploadPart(t, c, "big", "k", id, 2, []byte("tiny"))

	complete := func(uploadID string, parts ...types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String("big"), Key: aws.String("k"), UploadId: aws.String(uploadID),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		return err
	}
	wantCode(t, complete(id, small2, small1), "InvalidPartOrder", http.StatusBadRequest)
	wantCode(t, complete(id, small1, small2), "EntityTooSmall", http.StatusBadRequest)
	wantCode(t, complete(id, types.CompletedPart{PartNumber: aws.Int32(1), ETag: aws.String(`"00000000000000000000000000000000"`)}), "InvalidPart", http.StatusBadRequest)
	wantCode(t, complete("no-such-upload", small1), "NoSuchUpload", http.StatusNotFound)
	ts.assertMissing("big", "k")

	_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("big"), Key: aws.String("k"), UploadId: aws.String("no-such-upload"), PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("big"), Key: aws.String("k"), UploadId: aws.String(id), PartNumber: aws.Int32(10001), Body: bytes.NewReader([]byte("x"))})
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)

	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("big"), Key: aws.String("k"), UploadId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("big"), Key: aws.String("k"), UploadId: aws.String(id)})
	wantCode(t, err, "NoSuchUpload", http.StatusNotFound)
}

func TestUploadPartCopy(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "big")
	source := randomBytes(3 * testMinPartSize)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("source"), Body: bytes.NewReader(source)}); err != nil {
		t.Fatal(err)
	}
	id := startUpload(t, c, "big", "assembled")
	var parts []types.CompletedPart
	for i, rng := range []string{"bytes=0-2047", "bytes=2048-3071"} {
		out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String("big"), Key: aws.String("assembled"), UploadId: aws.String(id),
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("big/source"), CopySourceRange: aws.String(rng),
		})
		if err != nil {
			t.Fatalf("part copy %s: %v", rng, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket: aws.String("big"), Key: aws.String("assembled"), UploadId: aws.String(id),
		PartNumber: aws.Int32(3), CopySource: aws.String("big/source"), CopySourceRange: aws.String("bytes=5-"),
	})
	wantCode(t, err, "InvalidArgument", http.StatusBadRequest)

	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("big"), Key: aws.String("assembled"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("assembled")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, source[:3072]) {
		t.Errorf("assembled %d bytes, want the first 3072 of the source", len(got))
	}
}

// TestUploadManagerRoundTrip drives the SDK's upload manager, which most Go
// tools still use (its successor, transfermanager, is not a dependency).
func TestUploadManagerRoundTrip(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "big")
	data := randomBytes(11 << 20)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
	if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String("big"), Key: aws.String("blob"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("big"), Key: aws.String("blob"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read back %d bytes (%v), want %d identical", len(got), err, len(data))
	}
}
