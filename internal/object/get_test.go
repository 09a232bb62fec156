package object

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestResolveRange(t *testing.T) {
	tests := []struct {
		name         string
		size         int64
		r            Range
		offset, leng int64
		invalid      bool
	}{
		{"a range inside the object", 10, Range{First: 2, Last: 4}, 2, 3, false},
		{"an open range runs to the end", 10, Range{First: 7, Last: -1}, 7, 3, false},
		{"a last byte past the end is clamped", 10, Range{First: 8, Last: 100}, 8, 2, false},
		{"the last byte alone", 10, Range{First: 9, Last: 9}, 9, 1, false},
		{"a first byte at the end is unsatisfiable", 10, Range{First: 10, Last: 20}, 0, 0, true},
		{"any range of an empty object is unsatisfiable", 0, Range{First: 0, Last: -1}, 0, 0, true},
		{"a suffix takes the last bytes", 10, Range{Suffix: true, SuffixLength: 3}, 7, 3, false},
		{"a suffix longer than the object is the whole object", 10, Range{Suffix: true, SuffixLength: 50}, 0, 10, false},
		{"a suffix of an empty object is unsatisfiable", 0, Range{Suffix: true, SuffixLength: 5}, 0, 0, true},
		{"a zero suffix is unsatisfiable", 10, Range{Suffix: true, SuffixLength: 0}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off, n, err := resolveRange(tt.size, &tt.r)
			if tt.invalid {
				wantErr(t, err, ErrInvalidRange)
				return
			}
			if err != nil || off != tt.offset || n != tt.leng {
				t.Fatalf("got %d+%d %v, want %d+%d", off, n, err, tt.offset, tt.leng)
			}
		})
	}
}

// multipartObject stores "aaaaa"+"bbbbbb"+"ccc" as a three-part object.
func (h *harness) multipartObject(bucket, key string) *meta.Version {
	h.t.Helper()
	id := h.upload(bucket, key)
	var parts []CompletePart
	for i, data := range []string{"aaaaa", "bbbbbb", "ccc"} {
		p := h.uploadPart(bucket, key, id, i+1, data)
		parts = append(parts, CompletePart{Number: i + 1, ETag: p.ETag})
	}
	v, err := h.svc.CompleteMultipartUpload(h.ctx, alice, bucket, key, id, parts)
	if err != nil {
		h.t.Fatalf("complete: %v", err)
	}
	return v
}

func TestRangedReadsAcrossSegments(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	h.multipartObject("bkt", "mp")
	h.put("bkt", "single", "aaaaabbbbbbccc")
	for _, key := range []string{"mp", "single"} {
		for _, tt := range []struct {
			r    Range
			want string
		}{
			{Range{First: 0, Last: -1}, "aaaaabbbbbbccc"},
			{Range{First: 3, Last: 12}, "aabbbbbbcc"},
			{Range{First: 5, Last: 10}, "bbbbbb"},
			{Range{First: 4, Last: 5}, "ab"},
			{Range{First: 13, Last: 99}, "c"},
			{Range{Suffix: true, SuffixLength: 4}, "bccc"},
		} {
			t.Run(fmt.Sprintf("%s bytes %+v", key, tt.r), func(t *testing.T) {
				r := tt.r
				got, out, err := h.get(GetInput{Bucket: "bkt", Key: key, Range: &r})
				if err != nil || got != tt.want || !out.Ranged || out.Length != int64(len(tt.want)) {
					t.Fatalf("got %q %+v %v, want %q", got, out, err, tt.want)
				}
			})
		}
	}
	_, _, err := h.get(GetInput{Bucket: "bkt", Key: "mp", Range: &Range{First: 14, Last: 20}})
	wantErr(t, err, ErrInvalidRange)
}

func TestPartNumberReads(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	h.multipartObject("bkt", "mp")
	h.put("bkt", "single", "whole")
	tests := []struct {
		name, key  string
		part       int
		want       string
		partsCount int
		err        error
	}{
		{"the first part of a multipart object", "mp", 1, "aaaaa", 3, nil},
		{"the middle part", "mp", 2, "bbbbbb", 3, nil},
		{"the last part", "mp", 3, "ccc", 3, nil},
		{"a part past the last is out of range", "mp", 4, "", 0, ErrInvalidRange},
		{"part 1 of a single-part object is the whole object", "single", 1, "whole", 0, nil},
		{"part 2 of a single-part object is out of range", "single", 2, "", 0, ErrInvalidRange},
		{"part 0 is invalid", "mp", 10001, "", 0, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, out, err := h.get(GetInput{Bucket: "bkt", Key: tt.key, PartNumber: tt.part})
			if tt.err != nil {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil || got != tt.want || out.PartsCount != tt.partsCount || !out.Ranged {
				t.Fatalf("got %q %+v %v", got, out, err)
			}
		})
	}
	_, _, err := h.get(GetInput{Bucket: "bkt", Key: "mp", PartNumber: 1, Range: &Range{First: 0, Last: 1}})
	wantErr(t, err, ErrInvalidRequest)
}

func TestConditionalReads(t *testing.T) {
	modified := time.Date(2024, 5, 1, 12, 0, 0, 500_000_000, time.UTC)
	h := newHarness(t, func(c *Config) { c.Now = func() time.Time { return modified } })
	h.bucket("bkt", meta.VersioningOff)
	v := h.put("bkt", "k", "data")
	etag := `"` + v.ETag + `"`
	before, same, after := modified.Add(-time.Hour), modified.Truncate(time.Second), modified.Add(time.Hour)
	tests := []struct {
		name string
		cond Conditions
		want error
	}{
		{"a matching If-Match passes", Conditions{IfMatch: etag}, nil},
		{"If-Match * passes", Conditions{IfMatch: "*"}, nil},
		{"an If-Match list with the ETag passes", Conditions{IfMatch: `"x", ` + etag}, nil},
		{"a different If-Match fails", Conditions{IfMatch: `"x"`}, ErrPreconditionFailed},
		{"If-Unmodified-Since before the change fails", Conditions{IfUnmodifiedSince: before}, ErrPreconditionFailed},
		{"If-Unmodified-Since in the same second passes", Conditions{IfUnmodifiedSince: same}, nil},
		{"a matching If-Match overrides a failing If-Unmodified-Since", Conditions{IfMatch: etag, IfUnmodifiedSince: before}, nil},
		{"a matching If-None-Match is not modified", Conditions{IfNoneMatch: etag}, ErrNotModified},
		{"a different If-None-Match passes", Conditions{IfNoneMatch: `"x"`}, nil},
		{"If-Modified-Since after the change is not modified", Conditions{IfModifiedSince: after}, ErrNotModified},
		{"If-Modified-Since in the same second is not modified", Conditions{IfModifiedSince: same}, ErrNotModified},
		{"If-Modified-Since before the change passes", Conditions{IfModifiedSince: before}, nil},
		{"a different If-None-Match overrides If-Modified-Since", Conditions{IfNoneMatch: `"x"`, IfModifiedSince: after}, nil},
		{"a failing If-Match wins over a matching If-None-Match", Conditions{IfMatch: `"x"`, IfNoneMatch: etag}, ErrPreconditionFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, head := range []bool{false, true} {
				in := GetInput{Bucket: "bkt", Key: "k", Cond: tt.cond}
				var out *GetOutput
				var err error
				if head {
					out, err = h.svc.HeadObject(h.ctx, alice, in)
				} else {
					_, out, err = h.get(in)
				}
				if tt.want == nil {
					if err != nil {
						t.Fatalf("head=%v: %v", head, err)
					}
					continue
				}
				wantErr(t, err, tt.want)
				if tt.want == ErrNotModified && (out == nil || out.Version.ETag != v.ETag || out.Body != nil) {
					t.Fatalf("not modified should return the version and no body: %+v", out)
				}
			}
		})
	}
}

func TestEmptyObject(t *testing.T) {
	h := newHarness(t)
	h.bucket("bkt", meta.VersioningOff)
	v := h.put("bkt", "empty", "")
	if v.ETag != md5hex("") {
		t.Fatalf("etag %s", v.ETag)
	}
	if got := h.mustGet("bkt", "empty", ""); got != "" {
		t.Fatalf("got %q", got)
	}
	_, _, err := h.get(GetInput{Bucket: "bkt", Key: "empty", Range: &Range{First: 0, Last: -1}})
	wantErr(t, err, ErrInvalidRange)
	if got := strings.Join(h.versions("bkt"), ","); got != "empty@null" {
		t.Fatalf("versions %s", got)
	}
}
