package object

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestPutThenGetReturnsTheDataAndAttributes(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	attrs := ObjectAttrs{
		ContentType: "text/plain",
		Headers:     map[string]string{"Cache-Control": "no-cache"},
		UserMeta:    map[string]string{"colour": "blue"},
		Tags:        map[string]string{"team": "storage"},
	}
	v, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "../k", Body: strings.NewReader("hello"), Size: 5, Attrs: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if v.ETag != md5hex("hello") || v.VersionID != meta.NullVersion || v.Size != 5 {
		t.Fatalf("put returned %+v", v)
	}
	data, out, err := h.get(GetInput{Bucket: "bkt", Key: "../k"})
	if err != nil {
		t.Fatal(err)
	}
	got := out.Version
	if data != "hello" || got.ContentType != "text/plain" || got.Headers["Cache-Control"] != "no-cache" ||
		got.UserMeta["colour"] != "blue" || got.Tags["team"] != "storage" || out.Ranged {
		t.Fatalf("got %q %+v", data, got)
	}
}

func TestPutLargeBodyIsHashedCorrectly(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	data := make([]byte, 3*chunkSize+12345)
	rand.Read(data)
	sum := sha256.Sum256(data)
	for _, size := range []int64{int64(len(data)), -1} {
		t.Run(fmt.Sprintf("declared size %d", size), func(t *testing.T) {
			v, err := h.svc.PutObject(h.ctx, alice, PutInput{
				Bucket: "bkt", Key: "big", Body: iotestHalfReader{bytes.NewReader(data)}, Size: size,
				Checksum: ChecksumInput{Algorithm: ChecksumSHA256, Value: base64.StdEncoding.EncodeToString(sum[:])},
			})
			if err != nil {
				t.Fatal(err)
			}
			if v.ETag != fmt.Sprintf("%x", md5.Sum(data)) || v.Size != int64(len(data)) {
				t.Fatalf("etag %s size %d", v.ETag, v.Size)
			}
			if got := h.mustGet("bkt", "big", ""); got != string(data) {
				t.Fatal("data read back differs")
			}
		})
	}
}

// iotestHalfReader returns at most half of what is asked, like a network
// body, so that bodies arrive in uneven pieces.
type iotestHalfReader struct{ r io.Reader }

func (h iotestHalfReader) Read(p []byte) (int, error) { return h.r.Read(p[:(len(p)+1)/2]) }

func TestChecksums(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	const data = "123456789"
	be32 := func(v uint32) string {
		b := binary.BigEndian.AppendUint32(nil, v)
		return base64.StdEncoding.EncodeToString(b)
	}
	be64 := func(v uint64) string {
		b := binary.BigEndian.AppendUint64(nil, v)
		return base64.StdEncoding.EncodeToString(b)
	}
	s1, s256 := sha1.Sum([]byte(data)), sha256.Sum256([]byte(data))
	tests := []struct {
		algorithm, want string
	}{
		// Check values from the CRC catalogue.
		{ChecksumCRC32, be32(0xCBF43926)},
		{ChecksumCRC32C, be32(0xE3069283)},
		{ChecksumCRC64NVME, be64(0xAE8B14860A799888)},
		{ChecksumSHA1, base64.StdEncoding.EncodeToString(s1[:])},
		{ChecksumSHA256, base64.StdEncoding.EncodeToString(s256[:])},
	}
	for _, tt := range tests {
		t.Run(tt.algorithm+" is computed and stored", func(t *testing.T) {
			v, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: strings.NewReader(data), Size: 9, Checksum: ChecksumInput{Algorithm: tt.algorithm}})
			if err != nil {
				t.Fatal(err)
			}
			if v.Checksums[tt.algorithm] != tt.want {
				t.Fatalf("checksum %q, want %q", v.Checksums[tt.algorithm], tt.want)
			}
		})
	}
	_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: strings.NewReader(data), Size: 9, Checksum: ChecksumInput{Algorithm: "MD4"}})
	wantErr(t, err, ErrInvalidArgument)
}

// failingReader returns its data, then err.
type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

var errSignature = errors.New("SignatureDoesNotMatch")

func TestRejectedBodiesLeaveNothingBehind(t *testing.T) {
	goodMD5 := md5.Sum([]byte("hello"))
	tests := []struct {
		name string
		in   PutInput
		want error
	}{
		{"a Content-MD5 that differs is a bad digest",
			PutInput{Body: strings.NewReader("hellO"), Size: 5, ContentMD5: goodMD5[:]}, ErrBadDigest},
		{"a checksum header that differs is a bad digest",
			PutInput{Body: strings.NewReader("hello"), Size: 5, Checksum: ChecksumInput{Algorithm: ChecksumCRC32, Value: "AAAAAA=="}}, ErrBadDigest},
		{"a trailer checksum that differs is a bad digest",
			PutInput{Body: strings.NewReader("hello"), Size: 5, Checksum: ChecksumInput{Algorithm: ChecksumCRC32, Trailer: func() string { return "AAAAAA==" }}}, ErrBadDigest},
		{"a trailer checksum announced but not sent is a malformed trailer",
			PutInput{Body: strings.NewReader("hello"), Size: 5, Checksum: ChecksumInput{Algorithm: ChecksumSHA1, Trailer: func() string { return "" }}}, ErrMalformedTrailer},
		{"a trailer checksum that is no value of its algorithm is invalid",
			PutInput{Body: strings.NewReader("hello"), Size: 5, Checksum: ChecksumInput{Algorithm: ChecksumCRC64NVME, Trailer: func() string { return "AAAAAA==" }}}, ErrInvalidRequest},
		{"a body shorter than its size is incomplete",
			PutInput{Body: strings.NewReader("hell"), Size: 5}, ErrIncompleteBody},
		{"a body longer than its size is refused",
			PutInput{Body: strings.NewReader("hello!"), Size: 5}, ErrIncompleteBody},
		{"a body read error reaches the caller",
			PutInput{Body: &failingReader{data: "hel", err: errSignature}, Size: 5}, errSignature},
		{"a signature error found at the end of the body reaches the caller",
			PutInput{Body: &failingReader{data: "hello", err: errSignature}, Size: 5}, errSignature},
		{"a large body that fails midway reaches the caller",
			PutInput{Body: &failingReader{data: strings.Repeat("x", 2*chunkSize), err: errSignature}, Size: 3 * chunkSize}, errSignature},
		{"an object above 5 GiB is too large",
			PutInput{Body: strings.NewReader(""), Size: MaxObjectSize + 1}, ErrEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.bucket("bkt", meta.VersioningOff)
			tt.in.Bucket, tt.in.Key = "bkt", "k"
			_, err := h.svc.PutObject(h.ctx, alice, tt.in)
			wantErr(t, err, tt.want)
			_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k"})
			wantErr(t, err, ErrNoSuchKey)
			if blobs := h.storedBlobs(); len(blobs) != 0 {
				t.Fatalf("orphan blobs: %v", blobs)
			}
			if u := h.usage("bkt"); u != (meta.Usage{}) {
				t.Fatalf("usage %+v", u)
			}
		})
	}
}

func TestNoBodyIsAnEmptyBody(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	v, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: nil, Size: 0})
	if err != nil || v.Size != 0 || v.ETag != md5hex("") {
		t.Fatalf("put without a body: %+v %v", v, err)
	}
	_, err = h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: nil, Size: 3})
	wantErr(t, err, ErrIncompleteBody)
}

func TestTrailerChecksumThatMatchesIsAccepted(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	want := "NhCmhg==" // CRC32 of "hello"
	v, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: "k", Body: strings.NewReader("hello"), Size: 5,
		Checksum: ChecksumInput{Algorithm: ChecksumCRC32, Trailer: func() string { return want }}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Checksums[ChecksumCRC32] != want {
		t.Fatalf("checksums %v", v.Checksums)
	}
}

func TestConditionalWrites(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	put := func(key, data string, cond Conditions) error {
		_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: key, Body: strings.NewReader(data), Size: int64(len(data)), Cond: cond})
		return err
	}
	if err := put("k", "one", Conditions{IfNoneMatch: "*"}); err != nil {
		t.Fatalf("create-only write of a new key: %v", err)
	}
	wantErr(t, put("k", "two", Conditions{IfNoneMatch: "*"}), ErrPreconditionFailed)
	wantErr(t, put("k", "two", Conditions{IfMatch: `"` + md5hex("other") + `"`}), ErrPreconditionFailed)
	wantErr(t, put("missing", "two", Conditions{IfMatch: md5hex("one")}), ErrNoSuchKey)
	if err := put("k", "two", Conditions{IfMatch: `"` + md5hex("one") + `"`}); err != nil {
		t.Fatalf("write with the current ETag: %v", err)
	}
	if got := h.mustGet("bkt", "k", ""); got != "two" {
		t.Fatalf("got %q", got)
	}
	if blobs := h.storedBlobs(); len(blobs) != 1 {
		t.Fatalf("blobs %v, want the current object's only", blobs)
	}
}
