package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestReuploadingAPartThenCompleting(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	first, second, again := randomBytes(81, 5*mib), randomBytes(82, 1000), randomBytes(83, 5*mib)
	id := createUpload(t, c, bucket, "k")
	old := uploadPart(t, c, bucket, "k", id, 1, first)
	p2 := uploadPart(t, c, bucket, "k", id, 2, second)
	p1 := uploadPart(t, c, bucket, "k", id, 1, again)

	_, err := complete(t, c, bucket, "k", id, []types.CompletedPart{old, p2})
	wantErr(t, "CompleteMultipartUpload naming the replaced part", err, http.StatusBadRequest, "InvalidPart")
	if _, err := complete(t, c, bucket, "k", id, []types.CompletedPart{p1, p2}); err != nil {
		t.Fatalf("CompleteMultipartUpload with the re-uploaded part: %v", err)
	}
	if got, _ := mustGet(t, c, bucket, "k", ""); !bytes.Equal(got, append(bytes.Clone(again), second...)) {
		t.Errorf("object is %d bytes, not the re-uploaded part then part 2", len(got))
	}
}

// TestASlowFirstUploadOfAPartDoesNotWin: a client gives up waiting for a
// part, sends it again, and the abandoned upload finishes later. The part
// kept is the upload that started last, so the retry's data is completed.
func TestASlowFirstUploadOfAPartDoesNotWin(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	slowData, retryData := randomBytes(84, 5*mib), randomBytes(85, 5*mib)
	id := createUpload(t, c, bucket, "k")

	req, err := buildRaw(t.Context(), sharedSrv.S3URL, rawRequest{
		Method: http.MethodPut, Target: fmt.Sprintf("/%s/k?partNumber=1&uploadId=%s", bucket, id), Body: slowData, UnsignedPayload: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req.Body, req.GetBody = pr, nil
	gate := make(chan struct{})
	go func() {
		_, _ = pw.Write(slowData[:mib])
		<-gate
		_, _ = pw.Write(slowData[mib:])
		pw.Close()
	}()
	type result struct {
		status int
		etag   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode, etag: resp.Header.Get("ETag")}
	}()
	time.Sleep(500 * time.Millisecond) // the slow upload is under way
	retry := uploadPart(t, c, bucket, "k", id, 1, retryData)
	close(gate)
	slow := <-done
	if slow.err != nil || slow.status != http.StatusOK || slow.etag != quoted(md5Hex(slowData)) {
		t.Fatalf("the slow upload: %d %s %v, want 200 with its ETag", slow.status, slow.etag, slow.err)
	}

	parts, err := c.ListParts(t.Context(), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("k"), UploadId: aws.String(id)})
	if err != nil || len(parts.Parts) != 1 || aws.ToString(parts.Parts[0].ETag) != aws.ToString(retry.ETag) {
		t.Fatalf("ListParts after the slow upload finished: %v %v, want only the retry %s", parts, err, aws.ToString(retry.ETag))
	}
	if _, err := complete(t, c, bucket, "k", id, []types.CompletedPart{retry}); err != nil {
		t.Fatalf("CompleteMultipartUpload with the retry: %v", err)
	}
	if got, _ := mustGet(t, c, bucket, "k", ""); !bytes.Equal(got, retryData) {
		t.Errorf("the object is not the retry's data")
	}
}

func TestGetAndHeadByPartNumber(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	parts := [][]byte{randomBytes(86, 5*mib), randomBytes(87, 5*mib+3), randomBytes(88, 1000)}
	id := createUpload(t, c, bucket, "mp")
	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, uploadPart(t, c, bucket, "mp", id, int32(i+1), p))
	}
	if _, err := complete(t, c, bucket, "mp", id, done); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	total := len(parts[0]) + len(parts[1]) + len(parts[2])
	etag := quoted(multipartETag(parts))

	offset := 0
	for i, p := range parts {
		n := int32(i + 1)
		wantRange := fmt.Sprintf("bytes %d-%d/%d", offset, offset+len(p)-1, total)
		offset += len(p)
		body, out := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp"), PartNumber: aws.Int32(n)})
		if !bytes.Equal(body, p) {
			t.Errorf("GET partNumber=%d: %d bytes, not the part", n, len(body))
		}
		if aws.ToInt32(out.PartsCount) != 3 || aws.ToString(out.ContentRange) != wantRange || aws.ToInt64(out.ContentLength) != int64(len(p)) || aws.ToString(out.ETag) != etag {
			t.Errorf("GET partNumber=%d: parts %d range %q length %d ETag %s, want 3 %q %d %s", n,
				aws.ToInt32(out.PartsCount), aws.ToString(out.ContentRange), aws.ToInt64(out.ContentLength), aws.ToString(out.ETag), wantRange, len(p), etag)
		}
		r := do(t, sharedSrv, rawRequest{Method: http.MethodHead, Target: fmt.Sprintf("/%s/mp?partNumber=%d", bucket, n)})
		if r.Status != http.StatusPartialContent || r.Header.Get("X-Amz-Mp-Parts-Count") != "3" || r.Header.Get("Content-Range") != wantRange ||
			r.Header.Get("Content-Length") != strconv.Itoa(len(p)) || r.Header.Get("ETag") != etag {
			t.Errorf("HEAD partNumber=%d: %d parts %q range %q length %q ETag %q, want 206 3 %q %d %s", n, r.Status,
				r.Header.Get("X-Amz-Mp-Parts-Count"), r.Header.Get("Content-Range"), r.Header.Get("Content-Length"), r.Header.Get("ETag"), wantRange, len(p), etag)
		}
	}
	// Without partNumber the whole object, and no part count.
	if _, out := mustGet(t, c, bucket, "mp", ""); out.PartsCount != nil {
		t.Errorf("a plain GET names %d parts", aws.ToInt32(out.PartsCount))
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("mp"), PartNumber: aws.Int32(4)})
	wantErr(t, "GET partNumber=4 of 3", err, http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber")

	// A single-part object is its own part 1.
	putObject(t, c, bucket, "single", []byte("0123456789"))
	body, out := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("single"), PartNumber: aws.Int32(1)})
	if string(body) != "0123456789" || aws.ToString(out.ContentRange) != "bytes 0-9/10" || out.PartsCount != nil {
		t.Errorf("GET partNumber=1 of a single-part object: %q range %q parts %v", body, aws.ToString(out.ContentRange), out.PartsCount)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("single"), PartNumber: aws.Int32(2)})
	wantErr(t, "HEAD partNumber=2 of a single-part object", err, http.StatusRequestedRangeNotSatisfiable, "")
}

func TestUploadPartCopyRanges(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "src", []byte("12345"))
	id := createUpload(t, c, bucket, "dest")
	copyRange := func(rng string) error {
		_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String(bucket), Key: aws.String("dest"), UploadId: aws.String(id), PartNumber: aws.Int32(1),
			CopySource: aws.String(bucket + "/src"), CopySourceRange: aws.String(rng),
		})
		return err
	}
	for _, rng := range []string{"bytes=0-21", "bytes=5-5", "bytes=10-20"} {
		wantErr(t, "UploadPartCopy range "+rng+" of a 5-byte source", copyRange(rng), http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	}
	for _, rng := range []string{"0-2", "bytes=0", "bytes=hello-world", "bytes=0-bar", "bytes=hello-", "bytes=0-2,3-4", "bytes=3-1", "bytes=-2", "bytes=1-"} {
		wantErr(t, "UploadPartCopy malformed range "+rng, copyRange(rng), http.StatusBadRequest, "InvalidArgument")
	}
	if err := copyRange("bytes=1-3"); err != nil {
		t.Fatalf("UploadPartCopy bytes=1-3: %v", err)
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("dest"), UploadId: aws.String(id)})
	if err != nil || len(parts.Parts) != 1 || aws.ToInt64(parts.Parts[0].Size) != 3 {
		t.Errorf("parts after the refused copies and one good one: %v %v, want one of 3 bytes", parts, err)
	}
}
