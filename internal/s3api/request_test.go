package s3api

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/quarrylabs/quarry/internal/object"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   *object.Range
	}{
		{"no header serves the whole object", "", nil},
		{"a closed range", "bytes=0-99", &object.Range{First: 0, Last: 99}},
		{"an open range runs to the end", "bytes=100-", &object.Range{First: 100, Last: -1}},
		{"a suffix range", "bytes=-5", &object.Range{Suffix: true, SuffixLength: 5}},
		{"several ranges are ignored", "bytes=0-1,4-5", nil},
		{"another unit is ignored", "items=0-1", nil},
		{"a reversed range is ignored", "bytes=5-1", nil},
		{"garbage is ignored", "bytes=a-b", nil},
		{"a dash alone is ignored", "bytes=-", nil},
		{"an absurd start is kept for the service to reject", "bytes=999999999-", &object.Range{First: 999999999, Last: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRange(tt.header); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseRange(%q) = %+v, want %+v", tt.header, got, tt.want)
			}
		})
	}
}

func TestParseCopySource(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    copySource
		wantErr bool
	}{
		{"bucket and key", "src/a/b.txt", copySource{bucket: "src", key: "a/b.txt"}, false},
		{"a leading slash is optional", "/src/k", copySource{bucket: "src", key: "k"}, false},
		{"the key is URL-decoded", "src/a%20b%3Fc", copySource{bucket: "src", key: "a b?c"}, false},
		{"a version id is taken from the query", "src/k?versionId=v%2B1", copySource{bucket: "src", key: "k", versionID: "v+1"}, false},
		{"a bucket alone is rejected", "src", copySource{}, true},
		{"an empty key is rejected", "src/", copySource{}, true},
		{"an empty version id is rejected", "src/k?versionId=", copySource{}, true},
		{"bad escapes are rejected", "src/%zz", copySource{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCopySource(tt.header)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseCopySource(%q) error = %v, want error %v", tt.header, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("parseCopySource(%q) = %+v, want %+v", tt.header, got, tt.want)
			}
		})
	}
}

func TestParseObjectAttrs(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "text/plain")
	h.Set("Content-Encoding", "aws-chunked,gzip")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Amz-Meta-Color", "blue")
	h.Set("X-Amz-Tagging", "a=1&b=two%20words")
	got, err := parseObjectAttrs(h)
	if err != nil {
		t.Fatal(err)
	}
	want := object.ObjectAttrs{
		ContentType: "text/plain",
		Headers:     map[string]string{"Content-Encoding": "gzip", "Cache-Control": "no-cache"},
		UserMeta:    map[string]string{"color": "blue"},
		Tags:        map[string]string{"a": "1", "b": "two words"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseObjectAttrs = %+v, want %+v", got, want)
	}
}

func TestParseObjectAttrsRejects(t *testing.T) {
	tests := []struct {
		name   string
		header string
		value  string
		code   errorCode
	}{
		{"another storage class", "X-Amz-Storage-Class", "GLACIER", codeInvalidStorageClass},
		{"duplicate tag keys", "X-Amz-Tagging", "a=1&a=2", codeInvalidArgument},
		{"oversized metadata", "X-Amz-Meta-Big", string(make([]byte, 3000)), codeMetadataTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set(tt.header, tt.value)
			_, err := parseObjectAttrs(h)
			if got := toAPIError(err).code; err == nil || got != tt.code {
				t.Errorf("error = %v, want code %s", err, tt.code)
			}
		})
	}
}

func TestParseContentMD5(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Md5", "not base64!")
	if _, err := parseContentMD5(h); toAPIError(err).code != codeInvalidDigest {
		t.Errorf("bad base64: error = %v, want InvalidDigest", err)
	}
	h.Set("Content-Md5", "AAAA")
	if _, err := parseContentMD5(h); toAPIError(err).code != codeInvalidDigest {
		t.Errorf("short digest: error = %v, want InvalidDigest", err)
	}
	h.Set("Content-Md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
	sum, err := parseContentMD5(h)
	if err != nil || len(sum) != 16 {
		t.Errorf("valid digest: got %x, %v", sum, err)
	}
}

func TestParseChecksum(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		trailer map[string]string
		want    object.ChecksumInput
		wantErr bool
	}{
		{"no checksum", nil, nil, object.ChecksumInput{}, false},
		{"a value header", map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, nil,
			object.ChecksumInput{Algorithm: "CRC32", Value: "AAAAAA=="}, false},
		{"an algorithm only", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "sha256"}, nil,
			object.ChecksumInput{Algorithm: "SHA256"}, false},
		{"two value headers", map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA==", "X-Amz-Checksum-Crc32c": "AAAAAA=="}, nil, object.ChecksumInput{}, true},
		{"a value of the wrong size", map[string]string{"X-Amz-Checksum-Sha1": "AAAAAA=="}, nil, object.ChecksumInput{}, true},
		{"an unknown algorithm", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "MD4"}, nil, object.ChecksumInput{}, true},
		{"an algorithm that contradicts the value", map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA==", "X-Amz-Sdk-Checksum-Algorithm": "SHA1"}, nil, object.ChecksumInput{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPut, "/b/k", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			req := &request{r: r, trailer: func() map[string]string { return tt.trailer }}
			got, err := parseChecksum(req)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseChecksumReadsTheTrailer(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPut, "/b/k", nil)
	r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
	req := &request{r: r, trailer: func() map[string]string { return map[string]string{"x-amz-checksum-crc32c": "abc="} }}
	got, err := parseChecksum(req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Algorithm != "CRC32C" || got.Trailer == nil || got.Trailer() != "abc=" {
		t.Errorf("got algorithm %q, want CRC32C with trailer value abc=", got.Algorithm)
	}
}

func TestComputeChecksumMatchesKnownValues(t *testing.T) {
	// Values for "hello world" as the AWS SDK computes them.
	tests := map[string]string{
		"CRC32":     "DUoRhQ==",
		"CRC32C":    "yZRlqg==",
		"SHA1":      "Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
		"SHA256":    "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
		"CRC64NVME": "jSnVw/bqjr4=",
	}
	for alg, want := range tests {
		if got := computeChecksum(alg, []byte("hello world")); got != want {
			t.Errorf("%s = %s, want %s", alg, got, want)
		}
	}
}

func TestToAPIErrorHidesInternalErrors(t *testing.T) {
	ae := toAPIError(errors.New("open /var/lib/secret: permission denied"))
	if ae.code != codeInternalError || ae.status() != 500 {
		t.Fatalf("got %s %d, want InternalError 500", ae.code, ae.status())
	}
	if ae.messageText() != errorSpecs[codeInternalError].message {
		t.Errorf("message %q leaks the cause", ae.messageText())
	}
}

func TestToAPIErrorMapsWrappedSentinels(t *testing.T) {
	err := toAPIError(errors.Join(errors.New("ctx"), object.ErrNoSuchUpload))
	if err.code != codeNoSuchUpload || err.status() != 404 {
		t.Errorf("got %s %d, want NoSuchUpload 404", err.code, err.status())
	}
}

func TestEveryErrorCodeHasASpec(t *testing.T) {
	for _, s := range sentinelCodes {
		if _, ok := errorSpecs[s.code]; !ok {
			t.Errorf("code %s (for %v) has no status and message", s.code, s.err)
		}
	}
}

func TestParseWriteConditions(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    object.Conditions
		code    errorCode // "" for success
	}{
		{"none is no condition", nil, object.Conditions{}, ""},
		{"If-None-Match * is create-only", map[string]string{"If-None-Match": "*"}, object.Conditions{IfNoneMatch: "*"}, ""},
		{"If-Match takes an ETag", map[string]string{"If-Match": `"abc"`}, object.Conditions{IfMatch: `"abc"`}, ""},
		{"If-None-Match with an ETag is not implemented", map[string]string{"If-None-Match": `"abc"`}, object.Conditions{}, codeNotImplemented},
		{"both headers together are not implemented", map[string]string{"If-None-Match": "*", "If-Match": `"abc"`}, object.Conditions{}, codeNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			got, err := parseWriteConditions(h)
			if tt.code != "" {
				if toAPIError(err).code != tt.code {
					t.Fatalf("error %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseObjectChecksum(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    object.ChecksumInput
		ok      bool
	}{
		{"none is no expectation", nil, object.ChecksumInput{}, true},
		{"a full-object CRC64NVME", map[string]string{"x-amz-checksum-crc64nvme": "AAAAAAAAAAA="}, object.ChecksumInput{Algorithm: "CRC64NVME", Value: "AAAAAAAAAAA="}, true},
		{"a composite SHA256 keeps its part count", map[string]string{"x-amz-checksum-sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=-12"}, object.ChecksumInput{Algorithm: "SHA256", Value: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=-12"}, true},
		{"a value of the wrong size is invalid", map[string]string{"x-amz-checksum-crc32": "AAAAAAAAAAA="}, object.ChecksumInput{}, false},
		{"a part count of zero is invalid", map[string]string{"x-amz-checksum-crc32": "AAAAAA==-0"}, object.ChecksumInput{}, false},
		{"two algorithms are refused", map[string]string{"x-amz-checksum-crc32": "AAAAAA==", "x-amz-checksum-crc32c": "AAAAAA=="}, object.ChecksumInput{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			got, err := parseObjectChecksum(h)
			if !tt.ok {
				if toAPIError(err).code != codeInvalidRequest {
					t.Fatalf("error %v, want InvalidRequest", err)
				}
				return
			}
			if err != nil || got.Algorithm != tt.want.Algorithm || got.Value != tt.want.Value {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
