package object

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

func (h *harness) upload(bucket, key string) string {
	h.t.Helper()
	u, err := h.svc.CreateMultipartUpload(h.ctx, alice, bucket, key, ObjectAttrs{ContentType: "app/x", Tags: map[string]string{"t": "1"}}, "", "")
	if err != nil {
		h.t.Fatalf("create upload: %v", err)
	}
	return u.ID
}

func (h *harness) uploadPart(bucket, key, id string, n int, data string) *meta.Part {
	h.t.Helper()
	p, err := h.svc.UploadPart(h.ctx, alice, PartInput{Bucket: bucket, Key: key, UploadID: id, Number: n, Body: strings.NewReader(data), Size: int64(len(data))})
	if err != nil {
		h.t.Fatalf("upload part %d: %v", n, err)
	}
	return p
}

func multipartETag(parts ...string) string {
	h := md5.New()
	for _, p := range parts {
		sum := md5.Sum([]byte(p))
		h.Write(sum[:])
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}

func TestMultipartUpload(t *testing.T) {
	h := newHarness(t) // MinPartSize is 5 bytes
	h.bucket("bkt", meta.VersioningOff)
	id := h.upload("bkt", "k")
	h.uploadPart("bkt", "k", id, 1, "first")
	h.uploadPart("bkt", "k", id, 2, "replaced")
	p2 := h.uploadPart("bkt", "k", id, 2, "second")
	h.uploadPart("bkt", "k", id, 3, "third!")
	h.uploadPart("bkt", "k", id, 4, "not listed")

	v, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "k", id, []CompletePart{
		{Number: 1, ETag: md5hex("first")},
		{Number: 2, ETag: `"` + p2.ETag + `"`},
		{Number: 3, ETag: md5hex("third!")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.ETag != multipartETag("first", "second", "third!") || v.Size != 17 || len(v.Segments) != 3 {
		t.Fatalf("completed %+v", v)
	}
	if got := h.mustGet("bkt", "k", ""); got != "firstsecondthird!" {
		t.Fatalf("read %q", got)
	}
	out, err := h.svc.HeadObject(h.ctx, alice, GetInput{Bucket: "bkt", Key: "k"})
	if err != nil || out.Version.ContentType != "app/x" || out.Version.Tags["t"] != "1" {
		t.Fatalf("head %+v %v", out, err)
	}
	if u := h.usage("bkt"); u != (meta.Usage{Objects: 1, Bytes: 17, Versions: 1, VersionBytes: 17}) {
		t.Fatalf("usage %+v", u)
	}
	// The replaced part and the part not listed are gone, the upload too.
	h.assertNoOrphans("bkt")
	if got := len(h.storedBlobs()); got != 3 {
		t.Fatalf("%d blobs, want 3", got)
	}
	_, err = h.svc.ListParts(h.ctx, alice, "bkt", "k", id, 0, 1000)
	wantErr(t, err, ErrNoSuchUpload)
}

func TestCompleteMultipartUploadRules(t *testing.T) {
	tests := []struct {
		name  string
		parts []CompletePart
		want  error
	}{
		{"an empty list is malformed", nil, ErrMalformedXML},
		{"a descending list is out of order", []CompletePart{{Number: 2, ETag: md5hex("second")}, {Number: 1, ETag: md5hex("first")}}, ErrInvalidPartOrder},
		{"a repeated part is out of order", []CompletePart{{Number: 1, ETag: md5hex("first")}, {Number: 1, ETag: md5hex("first")}}, ErrInvalidPartOrder},
		{"a part never uploaded is invalid", []CompletePart{{Number: 1, ETag: md5hex("first")}, {Number: 7, ETag: md5hex("first")}}, ErrInvalidPart},
		{"a wrong ETag is invalid", []CompletePart{{Number: 1, ETag: md5hex("other")}}, ErrInvalidPart},
		{"a wrong part checksum is invalid", []CompletePart{{Number: 1, ETag: md5hex("first"), Checksums: map[string]string{ChecksumCRC32: "AAAAAA=="}}}, ErrInvalidPart},
		{"a part below the minimum size that is not last is too small", []CompletePart{{Number: 3, ETag: md5hex("tiny")}, {Number: 4, ETag: md5hex("first")}}, ErrEntityTooSmall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.bucket("bkt", meta.VersioningOff)
			id := h.upload("bkt", "k")
			h.uploadPart("bkt", "k", id, 1, "first")
			h.uploadPart("bkt", "k", id, 2, "second")
			h.uploadPart("bkt", "k", id, 3, "tiny")
			h.uploadPart("bkt", "k", id, 4, "first")
			_, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "k", id, tt.parts)
			wantErr(t, err, tt.want)
			// The upload is intact after a refused completion.
			out, err := h.svc.ListParts(h.ctx, alice, "bkt", "k", id, 0, 1000)
			if err != nil || len(out.Parts) != 4 {
				t.Fatalf("parts after refusal: %+v %v", out, err)
			}
		})
	}
	t.Run("a small last part is allowed", func(t *testing.T) {
		h := newHarness(t)
		h.bucket("bkt", meta.VersioningOff)
		id := h.upload("bkt", "k")
		h.uploadPart("bkt", "k", id, 1, "first")
		h.uploadPart("bkt", "k", id, 2, "x")
		if _, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "k", id, []CompletePart{{Number: 1, ETag: md5hex("first")}, {Number: 2, ETag: md5hex("x")}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an upload of another key is no such upload", func(t *testing.T) {
		h := newHarness(t)
		h.bucket("bkt", meta.VersioningOff)
		id := h.upload("bkt", "k")
		h.uploadPart("bkt", "k", id, 1, "first")
		_, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "other", id, []CompletePart{{Number: 1, ETag: md5hex("first")}})
		wantErr(t, err, ErrNoSuchUpload)
		_, err = h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "k", "unknown", []CompletePart{{Number: 1, ETag: md5hex("first")}})
		wantErr(t, err, ErrNoSuchUpload)
	})
}

func TestUploadPartRules(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	id := h.upload("bkt", "k")
	for _, n := range []int{0, 10001} {
		_, err := h.svc.UploadPart(h.ctx, alice, PartInput{Bucket: "bkt", Key: "k", UploadID: id, Number: n, Body: strings.NewReader("x"), Size: 1})
		wantErr(t, err, ErrInvalidArgument)
	}
	_, err := h.svc.UploadPart(h.ctx, alice, PartInput{Bucket: "bkt", Key: "k", UploadID: id, Number: 1, Body: strings.NewReader(""), Size: MaxPartSize + 1})
	wantErr(t, err, ErrEntityTooLarge)
	_, err = h.svc.UploadPart(h.ctx, alice, PartInput{Bucket: "bkt", Key: "k", UploadID: "nope", Number: 1, Body: strings.NewReader("x"), Size: 1})
	wantErr(t, err, ErrNoSuchUpload)
	_, err = h.svc.UploadPart(h.ctx, bob, PartInput{Bucket: "bkt", Key: "k", UploadID: id, Number: 1, Body: strings.NewReader("x"), Size: 1})
	wantErr(t, err, ErrAccessDenied)
	_, err = h.svc.UploadPart(h.ctx, alice, PartInput{Bucket: "bkt", Key: "k", UploadID: id, Number: 1, Body: strings.NewReader("short"), Size: 9})
	wantErr(t, err, ErrIncompleteBody)
	if blobs := h.storedBlobs(); len(blobs) != 0 {
		t.Fatalf("orphans: %v", blobs)
	}
}

func TestAbortMultipartUpload(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	id := h.upload("bkt", "k")
	h.uploadPart("bkt", "k", id, 1, "first")
	h.uploadPart("bkt", "k", id, 2, "second")
	wantErr(t, h.svc.AbortMultipartUpload(h.ctx, alice, "bkt", "other", id), ErrNoSuchUpload)
	if err := h.svc.AbortMultipartUpload(h.ctx, alice, "bkt", "k", id); err != nil {
		t.Fatal(err)
	}
	if blobs := h.storedBlobs(); len(blobs) != 0 {
		t.Fatalf("blobs after abort: %v", blobs)
	}
	_, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "k", id, []CompletePart{{Number: 1, ETag: md5hex("first")}})
	wantErr(t, err, ErrNoSuchUpload)
}

func TestListPartsAndUploads(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	id := h.upload("bkt", "k")
	for n := 1; n <= 5; n++ {
		h.uploadPart("bkt", "k", id, n, fmt.Sprintf("part-%d", n))
	}
	out, err := h.svc.ListParts(h.ctx, alice, "bkt", "k", id, 0, 2)
	if err != nil || len(out.Parts) != 2 || !out.IsTruncated || out.NextMarker != 2 {
		t.Fatalf("first page %+v %v", out, err)
	}
	out, err = h.svc.ListParts(h.ctx, alice, "bkt", "k", id, 3, 1000)
	if err != nil || len(out.Parts) != 2 || out.IsTruncated || out.Parts[0].Number != 4 {
		t.Fatalf("last page %+v %v", out, err)
	}

	for _, key := range []string{"a/1", "a/2", "b/1", "c"} {
		h.upload("bkt", key)
	}
	page, err := h.svc.ListUploads(h.ctx, alice, ListUploadsInput{Bucket: "bkt", Delimiter: "/", MaxUploads: 2})
	if err != nil || fmt.Sprint(page.CommonPrefixes) != "[a/ b/]" || len(page.Uploads) != 0 || !page.IsTruncated || page.NextKeyMarker != "b/" {
		t.Fatalf("uploads page %+v %v", page, err)
	}
	page, err = h.svc.ListUploads(h.ctx, alice, ListUploadsInput{Bucket: "bkt", Delimiter: "/", KeyMarker: page.NextKeyMarker, MaxUploads: 2})
	if err != nil || len(page.CommonPrefixes) != 0 || len(page.Uploads) != 2 || page.IsTruncated {
		t.Fatalf("uploads page 2 %+v %v", page, err)
	}
	if page.Uploads[0].Key != "c" || page.Uploads[1].Key != "k" {
		t.Fatalf("uploads %v", page.Uploads)
	}
}

// gatedReader yields its data only after gate is closed, and says on
// reading when the upload has begun.
type gatedReader struct {
	data    *strings.Reader
	reading chan struct{}
	gate    chan struct{}
	once    sync.Once
}

func (r *gatedReader) Read(p []byte) (int, error) {
	r.once.Do(func() { close(r.reading) })
	<-r.gate
	return r.data.Read(p)
}

func TestASlowUploadOfAPartDoesNotReplaceALaterStartedOne(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	h := newHarness(t, func(c *Config) { c.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
	h.bucket("bkt", meta.VersioningOff)
	id := h.upload("bkt", "k")

	slow := &gatedReader{data: strings.NewReader("first try"), reading: make(chan struct{}), gate: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := h.svc.UploadPart(h.ctx, alice, PartInput{Bucket: "bkt", Key: "k", UploadID: id, Number: 1, Body: slow, Size: int64(len("first try"))})
		done <- err
	}()
	<-slow.reading
	clock.Add(int64(time.Second))
	retry := h.uploadPart("bkt", "k", id, 1, "second try")
	close(slow.gate)
	if err := <-done; err != nil {
		t.Fatalf("the slow upload failed: %v", err)
	}

	parts, err := h.svc.ListParts(h.ctx, alice, "bkt", "k", id, 0, 10)
	if err != nil || len(parts.Parts) != 1 || parts.Parts[0].ETag != retry.ETag {
		t.Fatalf("parts after the slow upload finished: %+v %v, want the retry's %s", parts, err, retry.ETag)
	}
	if _, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "k", id, []CompletePart{{Number: 1, ETag: retry.ETag}}); err != nil {
		t.Fatalf("complete with the retry's part: %v", err)
	}
	if got := h.mustGet("bkt", "k", ""); got != "second try" {
		t.Fatalf("object = %q, want the retry's data", got)
	}
	h.assertNoOrphans("bkt")
}
