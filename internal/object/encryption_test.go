package object

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/sse"
)

// withKeys gives the service a keyring with a key-encryption key.
func withKeys(t testing.TB) func(*Config) {
	return func(cfg *Config) {
		sealer, err := auth.NewSealer(bytes.Repeat([]byte{9}, auth.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Keys = sse.NewKeyring(cfg.Meta, sealer)
		if err := cfg.Keys.EnsureKey(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// recognisable is a body whose every 64-byte stretch can be told apart,
// so that any piece of it found on disk is a leak.
func recognisable(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "PLAINTEXT-%09d|", i)
	}
	return b.String()[:n]
}

// rawBlob returns what the blob store holds for id.
func (h *harness) rawBlob(id string) []byte {
	h.t.Helper()
	rc, err := h.blobs.Open(h.ctx, id, 0, -1)
	if err != nil {
		h.t.Fatalf("open blob %s: %v", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		h.t.Fatalf("read blob %s: %v", id, err)
	}
	return b
}

// assertSealed checks that every segment of v is encrypted on disk: sealed
// key set, blob of the sealed size, no plaintext in it.
func (h *harness) assertSealed(v *meta.Version, plain string) {
	h.t.Helper()
	if v.SSE != meta.SSEAES256 {
		h.t.Fatalf("%s: SSE = %q, want AES256", v.Key, v.SSE)
	}
	keys := map[string]bool{}
	for i, seg := range v.Segments {
		if len(seg.SealedKey) == 0 {
			h.t.Fatalf("%s segment %d has no sealed key", v.Key, i+1)
		}
		if keys[string(seg.SealedKey)] {
			h.t.Fatalf("%s segment %d shares its data key", v.Key, i+1)
		}
		keys[string(seg.SealedKey)] = true
		raw := h.rawBlob(seg.BlobID)
		if int64(len(raw)) != sse.SealedSize(seg.Size) {
			h.t.Fatalf("%s segment %d: blob of %d bytes for %d plaintext bytes", v.Key, i+1, len(raw), seg.Size)
		}
		if bytes.Contains(raw, []byte("PLAINTEXT-")) || (len(plain) >= 32 && bytes.Contains(raw, []byte(plain[:32]))) {
			h.t.Fatalf("%s segment %d: the blob holds plaintext", v.Key, i+1)
		}
	}
}

func (h *harness) assertPlain(v *meta.Version) {
	h.t.Helper()
	if v.SSE != "" {
		h.t.Fatalf("%s: SSE = %q, want plaintext", v.Key, v.SSE)
	}
	for i, seg := range v.Segments {
		if len(seg.SealedKey) != 0 || int64(len(h.rawBlob(seg.BlobID))) != seg.Size {
			h.t.Fatalf("%s segment %d is not stored in plaintext", v.Key, i+1)
		}
	}
}

func (h *harness) putSSE(bucket, key, data, sseAsked string) *meta.Version {
	h.t.Helper()
	v, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: bucket, Key: key, Body: stringsReader(data), Size: int64(len(data)),
		Attrs: ObjectAttrs{SSE: sseAsked}, Checksum: ChecksumInput{Algorithm: ChecksumCRC32C}})
	if err != nil {
		h.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return v
}

func (h *harness) latest(bucket, key string) *meta.Version {
	h.t.Helper()
	out, err := h.svc.HeadObject(h.ctx, alice, GetInput{Bucket: bucket, Key: key})
	if err != nil {
		h.t.Fatalf("head %s/%s: %v", bucket, key, err)
	}
	return out.Version
}

func TestAnEncryptedPutIsStoredSealedAndReadsBackAsWritten(t *testing.T) {
	h := newHarness(t, withKeys(t))
	h.bucket("bkt", meta.VersioningOff)
	for _, n := range []int{0, 1, sse.ChunkSize, 3*sse.ChunkSize + 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			data := recognisable(n)
			key := fmt.Sprintf("k%d", n)
			v := h.putSSE("bkt", key, data, meta.SSEAES256)
			h.assertSealed(h.latest("bkt", key), data)
			if v.ETag != md5hex(data) || v.Size != int64(n) {
				t.Errorf("ETag %s size %d, want the plaintext's %s and %d", v.ETag, v.Size, md5hex(data), n)
			}
			plain := h.putSSE("bkt", key+"-plain", data, "")
			if plain.Checksums[ChecksumCRC32C] != v.Checksums[ChecksumCRC32C] {
				t.Errorf("checksum %v differs from the plaintext object's %v", v.Checksums, plain.Checksums)
			}
			if got := h.mustGet("bkt", key, ""); got != data {
				t.Fatalf("GET returned %d bytes that differ from the %d written", len(got), n)
			}
		})
	}
	h.assertNoOrphans("bkt")
}

func TestRangesOfAnEncryptedObjectAcrossChunkBoundaries(t *testing.T) {
	h := newHarness(t, withKeys(t))
	h.bucket("bkt", meta.VersioningOff)
	const n = 3*sse.ChunkSize + 100
	data := recognisable(n)
	h.putSSE("bkt", "k", data, meta.SSEAES256)
	for _, r := range [][2]int64{
		{0, 0}, {0, sse.ChunkSize - 1}, {sse.ChunkSize - 1, sse.ChunkSize}, {sse.ChunkSize, 2*sse.ChunkSize - 1},
		{100, 3*sse.ChunkSize + 5}, {n - 1, n - 1}, {n - 101, -1},
	} {
		got, out, err := h.get(GetInput{Bucket: "bkt", Key: "k", Range: &Range{First: r[0], Last: r[1]}})
		if err != nil {
			t.Fatalf("range %v: %v", r, err)
		}
		last := r[1]
		if last < 0 {
			last = n - 1
		}
		if got != data[r[0]:last+1] || out.Offset != r[0] {
			t.Fatalf("range %v: %d bytes at %d, wrong", r, len(got), out.Offset)
		}
	}
	got, _, err := h.get(GetInput{Bucket: "bkt", Key: "k", Range: &Range{Suffix: true, SuffixLength: sse.ChunkSize + 3}})
	if err != nil || got != data[n-sse.ChunkSize-3:] {
		t.Fatalf("suffix range: %v", err)
	}
}

func TestABucketDefaultEncryptsWritesThatAskForNothing(t *testing.T) {
	h := newHarness(t, withKeys(t))
	h.bucket("bkt", meta.VersioningEnabled)
	_, err := h.svc.GetBucketEncryption(h.ctx, alice, "bkt")
	wantErr(t, err, ErrNoSuchEncryptionConfig)
	if err := h.svc.PutBucketEncryption(h.ctx, alice, "bkt", BucketEncryption{Algorithm: "aws:kms"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("put kms default: %v, want ErrInvalidArgument", err)
	}
	if err := h.svc.PutBucketEncryption(h.ctx, bob, "bkt", BucketEncryption{Algorithm: meta.SSEAES256}); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("another user's put: %v, want ErrAccessDenied", err)
	}
	if err := h.svc.PutBucketEncryption(h.ctx, alice, "bkt", BucketEncryption{Algorithm: meta.SSEAES256, BucketKeyEnabled: true}); err != nil {
		t.Fatal(err)
	}
	cfg, err := h.svc.GetBucketEncryption(h.ctx, alice, "bkt")
	if err != nil || *cfg != (BucketEncryption{Algorithm: meta.SSEAES256, BucketKeyEnabled: true}) {
		t.Fatalf("get default = %+v, %v", cfg, err)
	}
	data := recognisable(1000)
	old := h.putSSE("bkt", "k", data, "")
	h.assertSealed(old, data)

	id := h.upload("bkt", "mp")
	part := h.uploadPart("bkt", "mp", id, 1, data)
	if len(part.SealedKey) == 0 {
		t.Fatal("a part of an upload created under the default is not encrypted")
	}

	if err := h.svc.DeleteBucketEncryption(h.ctx, alice, "bkt"); err != nil {
		t.Fatal(err)
	}
	h.assertPlain(h.putSSE("bkt", "k", data, ""))
	// What was encrypted stays encrypted and readable.
	if got := h.mustGet("bkt", "k", old.VersionID); got != data {
		t.Fatal("the encrypted older version reads wrong")
	}
	// An upload keeps the encryption it was created with.
	if p := h.uploadPart("bkt", "mp", id, 2, "tail"); len(p.SealedKey) == 0 {
		t.Fatal("a part uploaded after the default was removed lost the upload's encryption")
	}
}

func TestTheInternalModeEncryptsEveryWrite(t *testing.T) {
	h := newHarness(t, withKeys(t))
	h.bucket("bkt", meta.VersioningOff)
	modes := sse.NewService(h.meta, h.svc.cfg.Keys)
	if _, err := modes.SetMode(h.ctx, "root", sse.ModeInternal); err != nil {
		t.Fatal(err)
	}
	data := recognisable(5000)
	h.assertSealed(h.putSSE("bkt", "k", data, ""), data)
	cfg, err := h.svc.GetBucketEncryption(h.ctx, alice, "bkt")
	if err != nil || cfg.Algorithm != meta.SSEAES256 {
		t.Fatalf("a bucket's encryption under INTERNAL = %+v, %v; want AES256", cfg, err)
	}
	if _, err := modes.SetMode(h.ctx, "root", sse.ModeNone); err != nil {
		t.Fatal(err)
	}
	h.assertPlain(h.putSSE("bkt", "k2", data, ""))
	if got := h.mustGet("bkt", "k", ""); got != data {
		t.Fatal("an object written under INTERNAL reads wrong after NONE")
	}
}

func TestAnEncryptedMultipartObjectHasAKeyPerPartAndReadsAcrossParts(t *testing.T) {
	h := newHarness(t, withKeys(t))
	h.bucket("bkt", meta.VersioningOff)
	u, err := h.svc.CreateMultipartUpload(h.ctx, alice, "bkt", "mp", ObjectAttrs{SSE: meta.SSEAES256}, ChecksumCRC32, "")
	if err != nil || u.SSE != meta.SSEAES256 {
		t.Fatalf("create upload: %+v, %v", u, err)
	}
	parts := []string{recognisable(sse.ChunkSize + 10), recognisable(7), recognisable(2*sse.ChunkSize + 1)}
	var list []CompletePart
	for i, data := range parts {
		p := h.uploadPart("bkt", "mp", u.ID, i+1, data)
		if p.ETag != md5hex(data) || len(p.SealedKey) == 0 {
			t.Fatalf("part %d: ETag %s, sealed key %d bytes", i+1, p.ETag, len(p.SealedKey))
		}
		list = append(list, CompletePart{Number: i + 1, ETag: p.ETag, Checksums: p.Checksums})
	}
	v, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "mp", u.ID, list)
	if err != nil {
		t.Fatal(err)
	}
	whole := strings.Join(parts, "")
	if v.ETag != multipartETag(parts...) || v.Size != int64(len(whole)) {
		t.Errorf("ETag %s size %d, want %s and %d", v.ETag, v.Size, multipartETag(parts...), len(whole))
	}
	h.assertSealed(h.latest("bkt", "mp"), whole)
	if got := h.mustGet("bkt", "mp", ""); got != whole {
		t.Fatal("the whole object reads wrong")
	}
	p1 := int64(len(parts[0]))
	for _, r := range [][2]int64{{p1 - 3, p1 + 3}, {p1 - 1, p1 + 7}, {sse.ChunkSize - 1, int64(len(whole)) - 2}} {
		got, _, err := h.get(GetInput{Bucket: "bkt", Key: "mp", Range: &Range{First: r[0], Last: r[1]}})
		if err != nil || got != whole[r[0]:r[1]+1] {
			t.Fatalf("range %v across parts: %v", r, err)
		}
	}
	got, out, err := h.get(GetInput{Bucket: "bkt", Key: "mp", PartNumber: 3})
	if err != nil || got != parts[2] || out.PartsCount != 3 {
		t.Fatalf("part 3: %v", err)
	}
	h.assertNoOrphans("bkt")
}

func TestCopiesAreEncryptedAsTheirDestinationSays(t *testing.T) {
	h := newHarness(t, withKeys(t))
	h.bucket("plain", meta.VersioningOff)
	h.bucket("sealed", meta.VersioningOff)
	if err := h.svc.PutBucketEncryption(h.ctx, alice, "sealed", BucketEncryption{Algorithm: meta.SSEAES256}); err != nil {
		t.Fatal(err)
	}
	data := recognisable(2*sse.ChunkSize + 5)
	src := h.putSSE("plain", "src", data, meta.SSEAES256)
	copyTo := func(bucket, key, asked string, srcBucket, srcKey string) *meta.Version {
		t.Helper()
		res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: srcBucket, SrcKey: srcKey, Bucket: bucket, Key: key, Attrs: ObjectAttrs{SSE: asked}})
		if err != nil {
			t.Fatalf("copy to %s/%s: %v", bucket, key, err)
		}
		if got := h.mustGet(bucket, key, ""); got != data {
			t.Fatalf("copy %s/%s reads wrong", bucket, key)
		}
		if res.Version.ETag != md5hex(data) {
			t.Fatalf("copy ETag %s, want the plaintext's", res.Version.ETag)
		}
		return h.latest(bucket, key)
	}
	// Encrypted to a plain bucket without asking: decrypted.
	h.assertPlain(copyTo("plain", "decrypted", "", "plain", "src"))
	// Plaintext to a bucket with a default: encrypted.
	enc := copyTo("sealed", "encrypted", "", "plain", "decrypted")
	h.assertSealed(enc, data)
	// Encrypted to encrypted: a new blob under a new key.
	again := copyTo("plain", "again", meta.SSEAES256, "sealed", "encrypted")
	h.assertSealed(again, data)
	if again.Segments[0].BlobID == enc.Segments[0].BlobID || bytes.Equal(again.Segments[0].SealedKey, enc.Segments[0].SealedKey) {
		t.Fatal("the copy shares its source's blob or key")
	}
	// Copying an object onto itself to encrypt it is not the illegal
	// self-copy.
	h.put("plain", "self", data)
	h.assertSealed(copyTo("plain", "self", meta.SSEAES256, "plain", "self"), data)

	// Part copies decrypt their source and encrypt as their upload says.
	id := h.upload("plain", "mp")
	p1, _, err := h.svc.UploadPartCopy(h.ctx, alice, PartCopyInput{Bucket: "plain", Key: "mp", UploadID: id, Number: 1,
		SrcBucket: "plain", SrcKey: "src", SrcRange: &Range{First: sse.ChunkSize - 2, Last: sse.ChunkSize + 1}})
	if err != nil || len(p1.SealedKey) != 0 || p1.ETag != md5hex(data[sse.ChunkSize-2:sse.ChunkSize+2]) {
		t.Fatalf("part copy into a plain upload: %+v, %v", p1, err)
	}
	sealedUpload, err := h.svc.CreateMultipartUpload(h.ctx, alice, "sealed", "mp", ObjectAttrs{}, "", "")
	if err != nil || sealedUpload.SSE != meta.SSEAES256 {
		t.Fatalf("upload in a bucket with a default: %+v, %v", sealedUpload, err)
	}
	p2, _, err := h.svc.UploadPartCopy(h.ctx, alice, PartCopyInput{Bucket: "sealed", Key: "mp", UploadID: sealedUpload.ID, Number: 1,
		SrcBucket: "plain", SrcKey: "decrypted"})
	if err != nil || len(p2.SealedKey) == 0 || p2.ETag != md5hex(data) {
		t.Fatalf("part copy into an encrypted upload: %+v, %v", p2, err)
	}
	_ = src
}

func TestEncryptionRequestsThatCannotBeMetChangeNothing(t *testing.T) {
	t.Run("an unknown algorithm is an invalid argument", func(t *testing.T) {
		h := newHarness(t, withKeys(t))
		h.bucket("bkt", meta.VersioningOff)
		_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: stringsReader("x"), Size: 1, Attrs: ObjectAttrs{SSE: "aws:kms"}})
		wantErr(t, err, ErrInvalidArgument)
		_, err = h.svc.CreateMultipartUpload(h.ctx, alice, "bkt", "k", ObjectAttrs{SSE: "DES"}, "", "")
		wantErr(t, err, ErrInvalidArgument)
		if blobs := h.storedBlobs(); len(blobs) != 0 {
			t.Fatalf("blobs left: %v", blobs)
		}
	})
	t.Run("a service without keys refuses to encrypt", func(t *testing.T) {
		h := newHarness(t)
		h.bucket("bkt", meta.VersioningOff)
		_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: stringsReader("x"), Size: 1, Attrs: ObjectAttrs{SSE: meta.SSEAES256}})
		wantErr(t, err, ErrNotImplemented)
		wantErr(t, h.svc.PutBucketEncryption(h.ctx, alice, "bkt", BucketEncryption{Algorithm: meta.SSEAES256}), ErrNotImplemented)
	})
	t.Run("a body with a bad digest leaves no blob", func(t *testing.T) {
		h := newHarness(t, withKeys(t))
		h.bucket("bkt", meta.VersioningOff)
		data := recognisable(3 * sse.ChunkSize)
		_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: stringsReader(data), Size: int64(len(data)),
			Attrs: ObjectAttrs{SSE: meta.SSEAES256}, ContentMD5: make([]byte, 16)})
		wantErr(t, err, ErrBadDigest)
		if blobs := h.storedBlobs(); len(blobs) != 0 {
			t.Fatalf("blobs left: %v", blobs)
		}
	})
}

func TestATamperedEncryptedBlobFailsToRead(t *testing.T) {
	h := newHarness(t, withKeys(t))
	h.bucket("bkt", meta.VersioningOff)
	data := recognisable(2 * sse.ChunkSize)
	v := h.putSSE("bkt", "k", data, meta.SSEAES256)
	raw := h.rawBlob(v.Segments[0].BlobID)
	raw[sse.ChunkSize+sse.TagSize+5] ^= 1 // in the second chunk
	if err := h.blobs.Delete(h.ctx, v.Segments[0].BlobID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.blobs.Put(h.ctx, v.Segments[0].BlobID, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	out, err := h.svc.GetObject(h.ctx, alice, GetInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if !errors.Is(err, sse.ErrCorrupt) {
		t.Fatalf("read a tampered blob: %d bytes, %v; want sse.ErrCorrupt", len(got), err)
	}
	if len(got) > sse.ChunkSize {
		t.Fatalf("served %d bytes: past the intact first chunk", len(got))
	}
	// A range in the intact chunk still reads.
	part, _, err := h.get(GetInput{Bucket: "bkt", Key: "k", Range: &Range{First: 10, Last: 20}})
	if err != nil || part != data[10:21] {
		t.Fatalf("range in the intact chunk: %v", err)
	}
}
