package object

import (
	"errors"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestCopyObject(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	src, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "src", Body: stringsReader("payload"), Size: 7,
		Attrs:    ObjectAttrs{ContentType: "text/a", UserMeta: map[string]string{"m": "1"}, Tags: map[string]string{"t": "1"}},
		Checksum: ChecksumInput{Algorithm: ChecksumCRC32C}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a copy keeps the metadata, tags and checksum algorithm by default", func(t *testing.T) {
		res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "src", Bucket: "bkt", Key: "dst"})
		if err != nil {
			t.Fatal(err)
		}
		v := res.Version
		if v.ETag != src.ETag || v.ContentType != "text/a" || v.UserMeta["m"] != "1" || v.Tags["t"] != "1" ||
			v.Checksums[ChecksumCRC32C] != src.Checksums[ChecksumCRC32C] || res.SrcVersionID != meta.NullVersion {
			t.Fatalf("copy %+v", v)
		}
		if v.Segments[0].BlobID == src.Segments[0].BlobID {
			t.Fatal("the copy shares the source's blob")
		}
		if h.mustGet("bkt", "dst", "") != "payload" {
			t.Fatal("copied data differs")
		}
	})
	t.Run("the directives replace metadata and tags", func(t *testing.T) {
		res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "src", Bucket: "bkt", Key: "dst2",
			ReplaceMetadata: true, ReplaceTags: true, Attrs: ObjectAttrs{ContentType: "text/b", Tags: map[string]string{"n": "2"}}})
		if err != nil {
			t.Fatal(err)
		}
		v := res.Version
		if v.ContentType != "text/b" || v.UserMeta != nil || v.Tags["n"] != "2" || v.Tags["t"] != "" {
			t.Fatalf("copy %+v", v)
		}
	})
	t.Run("a copy onto itself without changes is illegal", func(t *testing.T) {
		_, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "src", Bucket: "bkt", Key: "src"})
		wantErr(t, err, ErrInvalidRequest)
		_, err = h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "src", Bucket: "bkt", Key: "src", ReplaceTags: true})
		wantErr(t, err, ErrInvalidRequest)
	})
	t.Run("a copy onto itself that replaces the metadata is allowed", func(t *testing.T) {
		_, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "src", Bucket: "bkt", Key: "src", ReplaceMetadata: true})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("source conditions fail as precondition failures", func(t *testing.T) {
		future := time.Now().Add(time.Hour)
		past := time.Now().Add(-time.Hour)
		for _, cond := range []Conditions{
			{IfMatch: `"nope"`},
			{IfNoneMatch: `"` + src.ETag + `"`},
			{IfModifiedSince: future},
			{IfUnmodifiedSince: past},
		} {
			_, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "src", SrcCond: cond, Bucket: "bkt", Key: "dst3"})
			wantErr(t, err, ErrPreconditionFailed)
		}
		_, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "src", SrcCond: Conditions{IfMatch: src.ETag}, Bucket: "bkt", Key: "dst3"})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the source must be readable by the caller", func(t *testing.T) {
		if err := h.svc.CreateBucket(h.ctx, bob, "bobs"); err != nil {
			t.Fatal(err)
		}
		_, err := h.svc.CopyObject(h.ctx, bob, CopyInput{SrcBucket: "bkt", SrcKey: "src", Bucket: "bobs", Key: "stolen"})
		wantErr(t, err, ErrAccessDenied)
		_, err = h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "missing", Bucket: "bkt", Key: "x"})
		wantErr(t, err, ErrNoSuchKey)
	})
	h.assertNoOrphans("bkt")
}

func TestCopyOfAMultipartObjectIsASingleSegment(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	h.multipartObject("bkt", "mp")
	res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "mp", Bucket: "bkt", Key: "flat"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version.ETag != md5hex("aaaaabbbbbbccc") || len(res.Version.Segments) != 1 {
		t.Fatalf("copy %+v", res.Version)
	}
}

func TestCopyVersions(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningEnabled)
	old := h.put("bkt", "k", "old")
	h.put("bkt", "k", "new")
	// Restoring an older version onto the same key is a legal self-copy.
	res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "k", SrcVersionID: old.VersionID, Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if res.SrcVersionID != old.VersionID || h.mustGet("bkt", "k", "") != "old" {
		t.Fatalf("restore %+v", res)
	}
	marker := h.del("bkt", "k", "")
	_, err = h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "k", SrcVersionID: marker.VersionID, Bucket: "bkt", Key: "x"})
	wantErr(t, err, ErrInvalidRequest)
	_, err = h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "k", Bucket: "bkt", Key: "x"})
	var dm *DeleteMarkerError
	if !errors.As(err, &dm) || !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("copy of a deleted key: %v", err)
	}
}

func TestUploadPartCopy(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	h.put("bkt", "src", "0123456789")
	id := h.upload("bkt", "dst")
	p1, src, err := h.svc.UploadPartCopy(h.ctx, alice, PartCopyInput{Bucket: "bkt", Key: "dst", UploadID: id, Number: 1,
		SrcBucket: "bkt", SrcKey: "src", SrcRange: &Range{First: 2, Last: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if src.Key != "src" || p1.Size != 6 || p1.ETag != md5hex("234567") {
		t.Fatalf("part %+v", p1)
	}
	_, _, err = h.svc.UploadPartCopy(h.ctx, alice, PartCopyInput{Bucket: "bkt", Key: "dst", UploadID: id, Number: 2,
		SrcBucket: "bkt", SrcKey: "src", SrcRange: &Range{First: 5, Last: 10}})
	wantErr(t, err, ErrInvalidRange)
	p2, _, err := h.svc.UploadPartCopy(h.ctx, alice, PartCopyInput{Bucket: "bkt", Key: "dst", UploadID: id, Number: 2, SrcBucket: "bkt", SrcKey: "src"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "dst", id, []CompletePart{{Number: 1, ETag: p1.ETag}, {Number: 2, ETag: p2.ETag}}); err != nil {
		t.Fatal(err)
	}
	if got := h.mustGet("bkt", "dst", ""); got != "2345670123456789" {
		t.Fatalf("got %q", got)
	}
	h.assertNoOrphans("bkt")
}
