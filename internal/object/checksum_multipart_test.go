package object

import (
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

var mpParts = []string{"first", "second", "third!"}

// checksumUpload creates an upload of algorithm and type and uploads
// mpParts to it; it returns the upload and the parts as a complete request
// lists them.
func (h *harness) checksumUpload(key, algorithm, typ string) (*meta.Upload, []CompletePart) {
	h.t.Helper()
	u, err := h.svc.CreateMultipartUpload(h.ctx, alice, "bkt", key, ObjectAttrs{}, algorithm, typ)
	if err != nil {
		h.t.Fatalf("create upload %s %s: %v", algorithm, typ, err)
	}
	var list []CompletePart
	for i, data := range mpParts {
		p := h.uploadPart("bkt", key, u.ID, i+1, data)
		list = append(list, CompletePart{Number: i + 1, ETag: p.ETag, Checksums: p.Checksums})
	}
	return u, list
}

func TestAnUploadsChecksumTypeIsDecidedAsS3Does(t *testing.T) {
	tests := []struct {
		name, algorithm, asked, want string
		err                          error
	}{
		{"no algorithm has no type", "", "", "", nil},
		{"a type without an algorithm is refused", "", ChecksumTypeFullObject, "", ErrInvalidRequest},
		{"CRC64NVME is full-object by default", ChecksumCRC64NVME, "", ChecksumTypeFullObject, nil},
		{"CRC32 is composite by default", ChecksumCRC32, "", ChecksumTypeComposite, nil},
		{"SHA256 is composite by default", ChecksumSHA256, "", ChecksumTypeComposite, nil},
		{"CRC32C may be full-object", ChecksumCRC32C, ChecksumTypeFullObject, ChecksumTypeFullObject, nil},
		{"CRC32 may be composite when asked", ChecksumCRC32, ChecksumTypeComposite, ChecksumTypeComposite, nil},
		{"SHA1 cannot be full-object", ChecksumSHA1, ChecksumTypeFullObject, "", ErrInvalidRequest},
		{"SHA256 cannot be full-object", ChecksumSHA256, ChecksumTypeFullObject, "", ErrInvalidRequest},
		{"CRC64NVME cannot be composite", ChecksumCRC64NVME, ChecksumTypeComposite, "", ErrInvalidRequest},
		{"an unknown type is refused", ChecksumCRC32, "PARTIAL", "", ErrInvalidRequest},
	}
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := h.svc.CreateMultipartUpload(h.ctx, alice, "bkt", "k", ObjectAttrs{}, tt.algorithm, tt.asked)
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil || u.ChecksumType != tt.want || UploadChecksumType(u) != tt.want {
				t.Fatalf("upload %+v, %v; want type %q", u, err, tt.want)
			}
		})
	}
}

func TestMultipartObjectsGetTheirUploadsChecksum(t *testing.T) {
	whole := []byte(strings.Join(mpParts, ""))
	tests := []struct{ algorithm, typ string }{
		{ChecksumCRC32, ChecksumTypeComposite},
		{ChecksumCRC32C, ChecksumTypeComposite},
		{ChecksumSHA1, ChecksumTypeComposite},
		{ChecksumSHA256, ChecksumTypeComposite},
		{ChecksumCRC32, ChecksumTypeFullObject},
		{ChecksumCRC32C, ChecksumTypeFullObject},
		{ChecksumCRC64NVME, ChecksumTypeFullObject},
	}
	for _, tt := range tests {
		t.Run(tt.typ+" "+tt.algorithm, func(t *testing.T) {
			h := newHarness(t)
			h.bucket("bkt", meta.VersioningOff)
			u, list := h.checksumUpload("k", tt.algorithm, tt.typ)
			v, err := h.svc.CompleteMultipartUpload(h.ctx, alice, "bkt", "k", u.ID, list)
			if err != nil {
				t.Fatal(err)
			}
			var partSums []string
			for i, data := range mpParts {
				partSums = append(partSums, checksumOf(t, tt.algorithm, []byte(data)))
				if got := v.Segments[i].Checksum; got != partSums[i] {
					t.Errorf("segment %d checksum %q, want %q", i+1, got, partSums[i])
				}
			}
			want := checksumOf(t, tt.algorithm, whole)
			if tt.typ == ChecksumTypeComposite {
				want, _ = compositeChecksum(tt.algorithm, partSums)
				if !strings.HasSuffix(want, "-3") {
					t.Fatalf("composite %q has no -3", want)
				}
			}
			if got := v.Checksums[tt.algorithm]; got != want || len(v.Checksums) != 1 {
				t.Fatalf("object checksums %v, want %s %q", v.Checksums, tt.algorithm, want)
			}
			_, out, err := h.get(GetInput{Bucket: "bkt", Key: "k"})
			if err != nil || out.Checksums[tt.algorithm] != want || out.ChecksumType != tt.typ {
				t.Fatalf("GET checksums %v type %q, %v", out.Checksums, out.ChecksumType, err)
			}
			got, out, err := h.get(GetInput{Bucket: "bkt", Key: "k", PartNumber: 2})
			if err != nil || got != mpParts[1] || out.Checksums[tt.algorithm] != partSums[1] {
				t.Fatalf("GET part 2: %q checksums %v, %v", got, out.Checksums, err)
			}
			parts := Parts(out.Version)
			if len(parts) != 3 || parts[2].Number != 3 || parts[2].Size != int64(len(mpParts[2])) || parts[2].Checksums[tt.algorithm] != partSums[2] {
				t.Fatalf("parts %+v", parts)
			}
		})
	}
}

// listing is a completion of the parts l with nothing else expected.
func listing(l []CompletePart) CompleteInput { return CompleteInput{Parts: l, ObjectSize: -1} }

func TestCompletionsRefusedForTheirChecksumsChangeNothing(t *testing.T) {
	type check func(list []CompletePart) CompleteInput
	tests := []struct {
		name           string
		algorithm, typ string
		in             check
		want           error
	}{
		{"a composite upload needs each part's checksum", ChecksumCRC32, "", func(l []CompletePart) CompleteInput {
			l[1].Checksums = nil
			return listing(l)
		}, ErrInvalidRequest},
		{"a wrong part checksum is an invalid part", ChecksumCRC32, "", func(l []CompletePart) CompleteInput {
			l[1].Checksums = map[string]string{ChecksumCRC32: l[0].Checksums[ChecksumCRC32]}
			return listing(l)
		}, ErrInvalidPart},
		{"parts with checksums must be numbered from 1 without gaps", ChecksumCRC32, "", func(l []CompletePart) CompleteInput {
			return listing([]CompletePart{l[0], l[2]})
		}, ErrInvalidPartOrder},
		{"an expected checksum that differs is a bad digest", ChecksumCRC32C, ChecksumTypeFullObject, func(l []CompletePart) CompleteInput {
			in := listing(l)
			in.Checksum = ChecksumInput{Algorithm: ChecksumCRC32C, Value: "AAAAAA=="}
			return in
		}, ErrBadDigest},
		{"an expected checksum of another algorithm is refused", ChecksumCRC32C, ChecksumTypeFullObject, func(l []CompletePart) CompleteInput {
			in := listing(l)
			in.Checksum = ChecksumInput{Algorithm: ChecksumCRC32, Value: "AAAAAA=="}
			return in
		}, ErrInvalidRequest},
		{"an expected checksum on an upload without one is refused", "", "", func(l []CompletePart) CompleteInput {
			in := listing(l)
			in.Checksum = ChecksumInput{Algorithm: ChecksumCRC32, Value: "AAAAAA=="}
			return in
		}, ErrInvalidRequest},
		{"another checksum type is refused", ChecksumCRC32, ChecksumTypeComposite, func(l []CompletePart) CompleteInput {
			in := listing(l)
			in.ChecksumType = ChecksumTypeFullObject
			return in
		}, ErrInvalidRequest},
		{"an object size that differs is refused", ChecksumCRC32, "", func(l []CompletePart) CompleteInput {
			in := listing(l)
			in.ObjectSize = 3
			return in
		}, ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.bucket("bkt", meta.VersioningOff)
			u, list := h.checksumUpload("k", tt.algorithm, tt.typ)
			in := tt.in(list)
			in.Bucket, in.Key, in.UploadID = "bkt", "k", u.ID
			_, err := h.svc.CompleteUpload(h.ctx, alice, in)
			wantErr(t, err, tt.want)
			_, _, err = h.get(GetInput{Bucket: "bkt", Key: "k"})
			wantErr(t, err, ErrNoSuchKey)
			out, err := h.svc.ListParts(h.ctx, alice, "bkt", "k", u.ID, 0, 1000)
			if err != nil || len(out.Parts) != 3 {
				t.Fatalf("parts after the refusal: %+v, %v", out, err)
			}
		})
	}
}

func TestCompletionsWithTheRightExpectations(t *testing.T) {
	whole := []byte(strings.Join(mpParts, ""))
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	full, list := h.checksumUpload("full", ChecksumCRC64NVME, "")
	_, err := h.svc.CompleteUpload(h.ctx, alice, CompleteInput{
		Bucket: "bkt", Key: "full", UploadID: full.ID, Parts: list,
		Checksum:     ChecksumInput{Algorithm: ChecksumCRC64NVME, Value: checksumOf(t, ChecksumCRC64NVME, whole)},
		ChecksumType: ChecksumTypeFullObject, ObjectSize: int64(len(whole)),
	})
	if err != nil {
		t.Fatalf("full-object completion with its checksum, type and size: %v", err)
	}
	for _, suffix := range []bool{true, false} {
		u, list := h.checksumUpload("composite", ChecksumSHA256, "")
		var sums []string
		for _, p := range list {
			sums = append(sums, p.Checksums[ChecksumSHA256])
		}
		want, _ := compositeChecksum(ChecksumSHA256, sums)
		if !suffix {
			want = strings.TrimSuffix(want, "-3")
		}
		_, err := h.svc.CompleteUpload(h.ctx, alice, CompleteInput{
			Bucket: "bkt", Key: "composite", UploadID: u.ID, Parts: list, ObjectSize: -1,
			Checksum: ChecksumInput{Algorithm: ChecksumSHA256, Value: want},
		})
		if err != nil {
			t.Fatalf("composite completion with its checksum %q: %v", want, err)
		}
	}
}

func TestConditionalCompletions(t *testing.T) {
	complete := func(h *harness, key string, cond Conditions) error {
		id := h.upload("bkt", key)
		p := h.uploadPart("bkt", key, id, 1, "data of "+key)
		_, err := h.svc.CompleteUpload(h.ctx, alice, CompleteInput{
			Bucket: "bkt", Key: key, UploadID: id, Parts: []CompletePart{{Number: 1, ETag: p.ETag}}, Cond: cond, ObjectSize: -1,
		})
		if err != nil {
			// The upload is still there after a refused condition.
			if _, lerr := h.svc.ListParts(h.ctx, alice, "bkt", key, id, 0, 10); lerr != nil {
				t.Errorf("upload gone after a refused completion: %v", lerr)
			}
		}
		return err
	}
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningEnabled)
	old := h.put("bkt", "exists", "old")
	h.put("bkt", "deleted", "old")
	h.del("bkt", "deleted", "")

	wantErr(t, complete(h, "exists", Conditions{IfNoneMatch: "*"}), ErrPreconditionFailed)
	if got := h.mustGet("bkt", "exists", ""); got != "old" {
		t.Fatalf("object after a refused If-None-Match completion: %q", got)
	}
	wantErr(t, complete(h, "exists", Conditions{IfMatch: `"` + md5hex("other") + `"`}), ErrPreconditionFailed)
	wantErr(t, complete(h, "missing", Conditions{IfMatch: old.ETag}), ErrNoSuchKey)
	wantErr(t, complete(h, "deleted", Conditions{IfMatch: old.ETag}), ErrNoSuchKey)
	if err := complete(h, "deleted", Conditions{IfNoneMatch: "*"}); err != nil {
		t.Errorf("If-None-Match over a delete marker: %v", err)
	}
	if err := complete(h, "new", Conditions{IfNoneMatch: "*"}); err != nil {
		t.Errorf("If-None-Match of a new key: %v", err)
	}
	if err := complete(h, "exists", Conditions{IfMatch: `"` + old.ETag + `"`}); err != nil {
		t.Errorf("If-Match with the current ETag: %v", err)
	}
}

// hookReader runs hook once, before it gives its first byte: for a PUT,
// after the service checked the write and before it commits it.
type hookReader struct {
	data *strings.Reader
	hook func()
}

func (r *hookReader) Read(p []byte) (int, error) {
	if r.hook != nil {
		r.hook()
		r.hook = nil
	}
	return r.data.Read(p)
}

func TestConditionalPutsThatLoseARaceWhileTheirBodyIsRead(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		cond   func(cur *meta.Version) Conditions
		racer  func(h *harness)
		want   error
		remain string // the object afterwards; "" for none
	}{
		{"If-Match loses to a delete: a conflict", "k",
			func(cur *meta.Version) Conditions { return Conditions{IfMatch: cur.ETag} },
			func(h *harness) { h.del("bkt", "k", "") }, ErrConditionalRequestConflict, ""},
		{"If-Match loses to another write: the precondition failed", "k",
			func(cur *meta.Version) Conditions { return Conditions{IfMatch: cur.ETag} },
			func(h *harness) { h.put("bkt", "k", "racer") }, ErrPreconditionFailed, "racer"},
		{"If-None-Match loses to a create: the precondition failed", "new",
			func(*meta.Version) Conditions { return Conditions{IfNoneMatch: "*"} },
			func(h *harness) { h.put("bkt", "new", "racer") }, ErrPreconditionFailed, "racer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.bucket("bkt", meta.VersioningOff)
			cur := h.put("bkt", "k", "original")
			key := tt.key
			body := &hookReader{data: strings.NewReader("mine"), hook: func() { tt.racer(h) }}
			_, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "bkt", Key: key, Body: body, Size: 4, Cond: tt.cond(cur)})
			wantErr(t, err, tt.want)
			got, _, err := h.get(GetInput{Bucket: "bkt", Key: key})
			if tt.remain == "" {
				wantErr(t, err, ErrNoSuchKey)
			} else if got != tt.remain {
				t.Fatalf("object afterwards %q (%v), want %q", got, err, tt.remain)
			}
			h.assertNoOrphans("bkt")
		})
	}
}
