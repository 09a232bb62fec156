package object

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"testing"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/meta"
)

// testInlineMax is small so that the edges are cheap to reach.
const testInlineMax = 64

func withInline(n int64) func(*Config) { return func(c *Config) { c.InlineMax = n } }

// putSized stores data; size < 0 sends it as a body of unknown length.
func (h *harness) putSized(bucket, key, data string, size int64) *meta.Version {
	h.t.Helper()
	v, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader([]byte(data)), Size: size,
		Checksum: ChecksumInput{Algorithm: ChecksumCRC32C}})
	if err != nil {
		h.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return v
}

// stored reads key's latest version row as the store holds it, and its
// inline data (nil when it is not inline).
func (h *harness) stored(bucket, key string) (*meta.Version, []byte) {
	h.t.Helper()
	var v *meta.Version
	var data []byte
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		if v, err = tx.GetLatest(bucket, key); err != nil {
			return err
		}
		if v.Inline {
			data, err = tx.GetInline(v.Seq)
		}
		return err
	})
	if err != nil {
		h.t.Fatalf("stored %s/%s: %v", bucket, key, err)
	}
	return v, data
}

// assertInline checks that key's latest version is inline with data, and
// that no blob was written for it.
func (h *harness) assertInline(bucket, key, data string) {
	h.t.Helper()
	v, got := h.stored(bucket, key)
	if !v.Inline || v.Segments != nil || string(got) != data {
		h.t.Fatalf("%s/%s: inline %v, segments %v, %d inline bytes; want inline, no segments, the %d bytes written",
			bucket, key, v.Inline, v.Segments, len(got), len(data))
	}
}

func (h *harness) assertInBlob(bucket, key string) {
	h.t.Helper()
	v, _ := h.stored(bucket, key)
	if v.Inline || len(v.Segments) != 1 {
		h.t.Fatalf("%s/%s: inline %v, segments %v; want one blob", bucket, key, v.Inline, v.Segments)
	}
}

func TestBodiesUpToInlineMaxAreKeptWithTheirVersion(t *testing.T) {
	h := newHarness(t, withInline(testInlineMax))
	h.bucket("bkt", meta.VersioningOff)
	for _, tc := range []struct {
		name   string
		n      int
		known  bool
		inline bool
	}{
		{"empty", 0, true, true},
		{"one byte", 1, true, true},
		{"exactly inline-max", testInlineMax, true, true},
		{"inline-max+1", testInlineMax + 1, true, false},
		{"empty, unknown length", 0, false, true},
		{"exactly inline-max, unknown length", testInlineMax, false, true},
		{"inline-max+1, unknown length", testInlineMax + 1, false, false},
		{"much longer, unknown length", 300 << 10, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := recognisable(tc.n)
			size := int64(tc.n)
			if !tc.known {
				size = -1
			}
			key := "k-" + tc.name
			v := h.putSized("bkt", key, data, size)
			if v.ETag != md5hex(data) || v.Size != int64(tc.n) {
				t.Fatalf("ETag %s size %d, want %s and %d", v.ETag, v.Size, md5hex(data), tc.n)
			}
			if tc.inline {
				h.assertInline("bkt", key, data)
			} else {
				h.assertInBlob("bkt", key)
			}
			if got := h.mustGet("bkt", key, ""); got != data {
				t.Fatalf("GET returned %d bytes that differ from the %d written", len(got), tc.n)
			}
			plain := newHarness(t) // the same body stored in a blob
			plain.bucket("bkt", meta.VersioningOff)
			if want := plain.putSized("bkt", key, data, size); want.Checksums[ChecksumCRC32C] != v.Checksums[ChecksumCRC32C] {
				t.Errorf("checksum %v, a blob-stored copy has %v", v.Checksums, want.Checksums)
			}
		})
	}
	// Only the bodies above the threshold made blobs.
	if got := len(h.storedBlobs()); got != 3 {
		t.Errorf("%d blobs stored, want 3 (the bodies over inline-max)", got)
	}
	h.assertNoOrphans("bkt")
	if u := h.usage("bkt"); u.Objects != 8 || u.Bytes != 2*testInlineMax+2*(testInlineMax+1)+1+300<<10 {
		t.Errorf("usage %+v", u)
	}
}

func TestInlineDisabledStoresEveryBodyInABlob(t *testing.T) {
	h := newHarness(t, withInline(0))
	h.bucket("bkt", meta.VersioningOff)
	h.putSized("bkt", "small", "tiny", 4)
	h.putSized("bkt", "chunked", "tiny", -1)
	h.assertInBlob("bkt", "small")
	h.assertInBlob("bkt", "chunked")
	if got := len(h.storedBlobs()); got != 2 {
		t.Fatalf("%d blobs stored, want 2", got)
	}
}

func TestABadInlineBodyStoresNothing(t *testing.T) {
	h := newHarness(t, withInline(testInlineMax))
	h.bucket("bkt", meta.VersioningOff)
	wrongMD5 := md5.Sum([]byte("something else"))
	for name, in := range map[string]PutInput{
		"wrong Content-MD5":  {Body: stringsReader("data"), Size: 4, ContentMD5: wrongMD5[:]},
		"wrong checksum":     {Body: stringsReader("data"), Size: 4, Checksum: ChecksumInput{Algorithm: ChecksumCRC32C, Value: "AAAAAA=="}},
		"short body":         {Body: stringsReader("dat"), Size: 4},
		"long body":          {Body: stringsReader("datas"), Size: 4},
		"failing body":       {Body: &failingReader{data: "da", err: errSignature}, Size: -1},
		"failing known body": {Body: &failingReader{data: "da", err: errSignature}, Size: 4},
	} {
		t.Run(name, func(t *testing.T) {
			in.Bucket, in.Key = "bkt", "k"
			_, err := h.svc.PutObject(h.ctx, alice, in)
			if err == nil {
				t.Fatal("the put succeeded")
			}
			_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k"})
			wantErr(t, err, ErrNoSuchKey)
		})
	}
	if u := h.usage("bkt"); u != (meta.Usage{}) {
		t.Errorf("usage %+v after failed puts", u)
	}
	if got := h.storedBlobs(); len(got) != 0 {
		t.Errorf("blobs %v after failed puts", got)
	}
}

func TestReadingAnInlineObject(t *testing.T) {
	h := newHarness(t, withInline(testInlineMax))
	h.bucket("bkt", meta.VersioningOff)
	data := "0123456789abcdefghij"
	v := h.putSized("bkt", "k", data, int64(len(data)))
	h.assertInline("bkt", "k", data)

	t.Run("ranges", func(t *testing.T) {
		for _, tc := range []struct {
			r    Range
			want string
		}{
			{Range{First: 0, Last: 0}, "0"},
			{Range{First: 5, Last: 9}, "56789"},
			{Range{First: 15, Last: -1}, "fghij"},
			{Range{First: 10, Last: 1000}, "abcdefghij"},
			{Range{Suffix: true, SuffixLength: 3}, "hij"},
		} {
			r := tc.r
			got, out, err := h.get(GetInput{Bucket: "bkt", Key: "k", Range: &r})
			if err != nil || got != tc.want || !out.Ranged {
				t.Errorf("range %+v: %q, %v; want %q", tc.r, got, err, tc.want)
			}
		}
		r := Range{First: 20, Last: -1}
		_, _, err := h.get(GetInput{Bucket: "bkt", Key: "k", Range: &r})
		wantErr(t, err, ErrInvalidRange)
	})
	t.Run("part number 1 is the whole object, 2 does not exist", func(t *testing.T) {
		got, out, err := h.get(GetInput{Bucket: "bkt", Key: "k", PartNumber: 1})
		if err != nil || got != data || out.Checksums[ChecksumCRC32C] != v.Checksums[ChecksumCRC32C] {
			t.Fatalf("part 1: %q, %v, checksums %v", got, err, out.Checksums)
		}
		_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k", PartNumber: 2})
		wantErr(t, err, ErrInvalidRange)
	})
	t.Run("conditional GETs", func(t *testing.T) {
		_, out, err := h.get(GetInput{Bucket: "bkt", Key: "k", Cond: Conditions{IfNoneMatch: v.ETag}})
		wantErr(t, err, ErrNotModified)
		if out == nil || out.Version.ETag != v.ETag || out.Body != nil {
			t.Fatalf("304 output %+v", out)
		}
		_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k", Cond: Conditions{IfMatch: "nope"}})
		wantErr(t, err, ErrPreconditionFailed)
		got, _, err := h.get(GetInput{Bucket: "bkt", Key: "k", Cond: Conditions{IfMatch: v.ETag}})
		if err != nil || got != data {
			t.Fatalf("If-Match the ETag: %q, %v", got, err)
		}
	})
	t.Run("HEAD reports the object without reading its data", func(t *testing.T) {
		out, err := h.svc.HeadObject(h.ctx, alice, GetInput{Bucket: "bkt", Key: "k"})
		if err != nil || out.Version.Size != int64(len(data)) || out.Version.ETag != v.ETag {
			t.Fatalf("head: %+v, %v", out, err)
		}
		if !out.Version.Inline || out.Version.InlineData != nil {
			t.Errorf("HEAD's version: inline %v with %d bytes loaded; want inline, none loaded",
				out.Version.Inline, len(out.Version.InlineData))
		}
	})
	t.Run("listings carry no data", func(t *testing.T) {
		out, err := h.svc.ListVersions(h.ctx, alice, ListVersionsInput{Bucket: "bkt", MaxKeys: 10})
		if err != nil || len(out.Versions) != 1 || out.Versions[0].Size != int64(len(data)) || out.Versions[0].InlineData != nil {
			t.Fatalf("list: %+v, %v", out, err)
		}
	})
}

func TestCopiesOfInlineObjects(t *testing.T) {
	h := newHarness(t, withInline(testInlineMax), withKeys(t))
	h.bucket("bkt", meta.VersioningOff)
	small := recognisable(40)
	h.putSized("bkt", "small", small, int64(len(small)))
	big := recognisable(testInlineMax + 10)
	h.putSized("bkt", "big", big, int64(len(big)))
	h.assertInline("bkt", "small", small)
	h.assertInBlob("bkt", "big")

	copyTo := func(src, dst string, attrs ObjectAttrs) *meta.Version {
		t.Helper()
		res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: src, Bucket: "bkt", Key: dst, Attrs: attrs})
		if err != nil {
			t.Fatalf("copy %s to %s: %v", src, dst, err)
		}
		return res.Version
	}
	t.Run("a copy of an inline object is inline", func(t *testing.T) {
		v := copyTo("small", "small-copy", ObjectAttrs{})
		h.assertInline("bkt", "small-copy", small)
		if v.ETag != md5hex(small) || h.mustGet("bkt", "small-copy", "") != small {
			t.Fatalf("copy ETag %s", v.ETag)
		}
	})
	t.Run("a copy of a small blob object is inline, of a large one in a blob", func(t *testing.T) {
		h.putSSE("bkt", "small-in-blob", small, meta.SSEAES256) // encrypted: in a blob
		h.assertInBlob("bkt", "small-in-blob")
		copyTo("small-in-blob", "small-in-blob-copy", ObjectAttrs{})
		h.assertInline("bkt", "small-in-blob-copy", small)
		copyTo("big", "big-copy", ObjectAttrs{})
		h.assertInBlob("bkt", "big-copy")
		if h.mustGet("bkt", "big-copy", "") != big {
			t.Fatal("big copy differs")
		}
	})
	t.Run("an encrypted copy of an inline object goes to a sealed blob", func(t *testing.T) {
		copyTo("small", "small-sealed", ObjectAttrs{SSE: meta.SSEAES256})
		v, _ := h.stored("bkt", "small-sealed")
		if v.Inline || v.SSE != meta.SSEAES256 || len(v.Segments) != 1 {
			t.Fatalf("encrypted copy: inline %v, sse %q, segments %v", v.Inline, v.SSE, v.Segments)
		}
		h.assertSealed(v, small)
		if h.mustGet("bkt", "small-sealed", "") != small {
			t.Fatal("encrypted copy reads back different")
		}
	})
	t.Run("an encrypted put is never inline", func(t *testing.T) {
		h.putSSE("bkt", "sealed", "tiny", meta.SSEAES256)
		v, _ := h.stored("bkt", "sealed")
		if v.Inline || len(v.Segments) != 1 {
			t.Fatalf("encrypted put: inline %v, segments %v", v.Inline, v.Segments)
		}
	})
	t.Run("UploadPartCopy from an inline source makes a blob part", func(t *testing.T) {
		id := h.upload("bkt", "mp")
		p1, _, err := h.svc.UploadPartCopy(h.ctx, alice, PartCopyInput{Bucket: "bkt", Key: "mp", UploadID: id, Number: 1,
			SrcBucket: "bkt", SrcKey: "small", SrcRange: &Range{First: 2, Last: 9}})
		if err != nil {
			t.Fatal(err)
		}
		p2, _, err := h.svc.UploadPartCopy(h.ctx, alice, PartCopyInput{Bucket: "bkt", Key: "mp", UploadID: id, Number: 2,
			SrcBucket: "bkt", SrcKey: "small"})
		if err != nil {
			t.Fatal(err)
		}
		if p1.BlobID == "" || p2.BlobID == "" || p1.ETag != md5hex(small[2:10]) {
			t.Fatalf("parts %+v %+v", p1, p2)
		}
		if _, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "mp", id,
			[]CompletePart{{Number: 1, ETag: p1.ETag}, {Number: 2, ETag: p2.ETag}}); err != nil {
			t.Fatal(err)
		}
		if got := h.mustGet("bkt", "mp", ""); got != small[2:10]+small {
			t.Fatalf("completed object %q", got)
		}
	})
	h.assertNoOrphans("bkt")
}

func TestDeletingInlineObjects(t *testing.T) {
	h := newHarness(t, withInline(testInlineMax))
	h.bucket("ver", meta.VersioningEnabled)
	h.bucket("plain", meta.VersioningOff)

	inlineGone := func(seq int64) {
		t.Helper()
		err := h.meta.View(h.ctx, func(tx meta.Tx) error {
			_, err := tx.GetInline(seq)
			return err
		})
		if !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("inline data of seq %d: %v, want gone", seq, err)
		}
	}
	t.Run("deleting a version removes its data", func(t *testing.T) {
		v1 := h.putSized("ver", "k", "one", 3)
		v2 := h.putSized("ver", "k", "two", 3)
		h.del("ver", "k", v1.VersionID)
		inlineGone(v1.Seq)
		if h.mustGet("ver", "k", v2.VersionID) != "two" {
			t.Fatal("the other version's data changed")
		}
		h.del("ver", "k", "") // a delete marker keeps v2
		if h.mustGet("ver", "k", v2.VersionID) != "two" {
			t.Fatal("a delete marker removed data")
		}
		h.del("ver", "k", v2.VersionID)
		inlineGone(v2.Seq)
	})
	t.Run("overwriting the null version removes the old data", func(t *testing.T) {
		old := h.putSized("plain", "k", "old", 3)
		h.putSized("plain", "k", recognisable(testInlineMax+1), testInlineMax+1) // to a blob
		inlineGone(old.Seq)
		v, _ := h.stored("plain", "k")
		h.putSized("plain", "k", "new", 3) // and back inline: the blob is trashed
		h.assertInline("plain", "k", "new")
		for _, id := range h.storedBlobs() {
			if id == v.Segments[0].BlobID {
				t.Fatal("the replaced blob was not removed")
			}
		}
		h.del("plain", "k", "")
		_, _, err := h.get(GetInput{Bucket: "plain", Key: "k"})
		wantErr(t, err, ErrNoSuchKey)
	})
	if u := h.usage("ver").Add(h.usage("plain")); u != (meta.Usage{}) {
		t.Errorf("usage %+v after every object was deleted", u)
	}
	if got := h.storedBlobs(); len(got) != 0 {
		t.Errorf("blobs %v left", got)
	}
}

func TestReadInlineStopsOneBytePastTheLimit(t *testing.T) {
	for _, n := range []int{0, 1, 100, inlineReadStart, inlineReadStart + 1, 3 * inlineReadStart} {
		for _, limit := range []int64{0, 1, 99, 100, inlineReadStart, 2 * inlineReadStart} {
			data := []byte(recognisable(n))
			got, err := readInline(iotestHalfReader{bytes.NewReader(data)}, -1, limit)
			want := data
			if int64(n) > limit {
				want = data[:limit+1]
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%d bytes, limit %d: read %d bytes, %v; want %d", n, limit, len(got), err, len(want))
			}
		}
	}
	if _, err := readInline(&failingReader{data: "ab", err: errSignature}, -1, 10); !errors.Is(err, errSignature) {
		t.Errorf("a failing body read with %v", err)
	}
}

// gatedStore is a blob store whose gate refuses what its flags say, as a
// read-only or paused storage component's does.
type gatedStore struct {
	blob.Store
	noWrites, noReads bool
}

func (g *gatedStore) Allow(write bool) error {
	if write && g.noWrites || !write && g.noReads {
		return fmt.Errorf("gated: %w", blob.ErrUnavailable)
	}
	return nil
}

func TestInlineDataObeysTheBlobStoresGate(t *testing.T) {
	var gate *gatedStore
	h := newHarness(t, withInline(testInlineMax), func(c *Config) {
		gate = &gatedStore{Store: c.Blobs}
		c.Blobs = gate
	})
	h.bucket("bkt", meta.VersioningOff)
	h.putSized("bkt", "k", "small", 5)

	gate.noWrites = true // read-only
	_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k2", Body: stringsReader("tiny"), Size: 4})
	wantErr(t, err, blob.ErrUnavailable)
	if got := h.mustGet("bkt", "k", ""); got != "small" {
		t.Fatalf("a read-only store serves %q", got)
	}
	gate.noReads = true // paused
	_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k"})
	wantErr(t, err, blob.ErrUnavailable)
	gate.noWrites, gate.noReads = false, false
	if got := h.mustGet("bkt", "k", ""); got != "small" {
		t.Fatalf("after the gate opened: %q", got)
	}
	_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k2"})
	wantErr(t, err, ErrNoSuchKey)
}
