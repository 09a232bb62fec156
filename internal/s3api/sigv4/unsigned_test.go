package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

func TestUnsignedPayloads(t *testing.T) {
	data := []byte("an anonymous upload")
	sum := sha256.Sum256(data)
	plain := func(hash string) *http.Request {
		r := httptest.NewRequest(http.MethodPut, "http://s3.test/b/k", bytes.NewReader(data))
		if hash != "" {
			r.Header.Set("X-Amz-Content-Sha256", hash)
		}
		return r
	}
	chunked := func(b streamingBody) *http.Request {
		body := b.encode(t, make([]byte, 32))
		r := httptest.NewRequest(http.MethodPut, "http://s3.test/b/k", bytes.NewReader(body))
		r.Header.Set("X-Amz-Content-Sha256", b.mode)
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(b.payload)))
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		return r
	}
	tests := []struct {
		name        string
		req         *http.Request
		wantBody    []byte
		wantTrailer string
		readErr     error // from reading the body
		err         error // from Unsigned
	}{
		{"no payload hash is the body as sent", plain(""), data, "", nil, nil},
		{"UNSIGNED-PAYLOAD is the body as sent", plain(unsignedPayload), data, "", nil, nil},
		{"a payload hash is checked", plain(hex.EncodeToString(sum[:])), data, "", nil, nil},
		{"a wrong payload hash fails at the end of the body", plain(hex.EncodeToString(make([]byte, 32))), nil, "", ErrXAmzContentSHA256Mismatch, nil},
		{"a payload hash that is none is InvalidDigest", plain("nonsense"), nil, "", nil, ErrInvalidDigest},
		{"unsigned chunks decode, trailer included",
			chunked(streamingBody{mode: streamingUnsignedPayloadTrailer, payload: threeChunks, trailer: []string{"x-amz-checksum-crc32:AAAAAA=="}}),
			threeChunks, "AAAAAA==", nil, nil},
		{"signed chunks without a signature are refused", chunked(streamingBody{mode: streamingSignedPayload, payload: data}), nil, "", nil, ErrSignedPayloadUnsigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Unsigned(tt.req)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Unsigned = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			got, err := io.ReadAll(res.Body)
			if !errors.Is(err, tt.readErr) || (tt.readErr == nil) != (err == nil) {
				t.Fatalf("read body: %v, want %v", err, tt.readErr)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(got, tt.wantBody) || res.ContentLength != int64(len(tt.wantBody)) {
				t.Errorf("body %d bytes (length %d), want %d", len(got), res.ContentLength, len(tt.wantBody))
			}
			if got := res.Trailer()["x-amz-checksum-crc32"]; got != tt.wantTrailer {
				t.Errorf("trailer %q, want %q", got, tt.wantTrailer)
			}
		})
	}
}
