package sigv4

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const testChunkSize = 8 << 10

// threeChunks is two full chunks and a short one, each of its own letter, so
// a test can find a chunk's bytes in the encoded body (hex there is lower-case).
var threeChunks = []byte(strings.Repeat("A", testChunkSize) + strings.Repeat("B", testChunkSize) + strings.Repeat("C", 100))

// streamingBody describes an aws-chunked body to build as the SDKs do.
type streamingBody struct {
	mode    string
	payload []byte
	trailer []string // "name:value" lines
}

// encode writes the body. Chunk signatures come from the SDK's own stream
// signer, seeded with the request signature; the trailer signature, which
// the Go SDK does not produce, is computed here from the published rules.
func (b streamingBody) encode(t testing.TB, seed []byte) []byte {
	t.Helper()
	signed := b.mode == streamingSignedPayload || b.mode == streamingSignedPayloadTrailer
	signer := v4.NewStreamSigner(testCredentials(testSecret), "s3", testRegion, seed)
	var out bytes.Buffer
	previous := seed
	writeChunk := func(data []byte) {
		fmt.Fprintf(&out, "%x", len(data))
		if signed {
			sig, err := signer.GetSignature(context.Background(), nil, data, signTime)
			if err != nil {
				t.Fatalf("chunk signature: %v", err)
			}
			previous = sig
			fmt.Fprintf(&out, ";chunk-signature=%x", sig)
		}
		out.WriteString("\r\n")
		if len(data) > 0 {
			out.Write(data)
			out.WriteString("\r\n")
		}
	}
	for rest := b.payload; len(rest) > 0; {
		n := min(len(rest), testChunkSize)
		writeChunk(rest[:n])
		rest = rest[n:]
	}
	writeChunk(nil)
	var lines bytes.Buffer
	for _, line := range b.trailer {
		out.WriteString(line + "\r\n")
		lines.WriteString(line + "\n")
	}
	if b.mode == streamingSignedPayloadTrailer {
		fmt.Fprintf(&out, "x-amz-trailer-signature:%x\r\n", trailerSignature(previous, lines.Bytes()))
	}
	out.WriteString("\r\n")
	return out.Bytes()
}

// trailerSignature is the signature of a trailer, derived independently of
// the package's own key derivation.
func trailerSignature(previous, lines []byte) []byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	key := mac(mac(mac(mac([]byte("AWS4"+testSecret), "20261128"), testRegion), "s3"), "aws4_request")
	sum := sha256.Sum256(lines)
	return mac(key, "AWS4-HMAC-SHA256-TRAILER\n20261128T120000Z\n20261128/us-east-1/s3/aws4_request\n"+
		hex.EncodeToString(previous)+"\n"+hex.EncodeToString(sum[:]))
}

// request signs a PUT carrying the body; edit may change headers before
// signing, tamper the encoded body after.
func (b streamingBody) request(t *testing.T, edit func(*http.Request), tamper func([]byte) []byte) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPut, "http://bucket-host.test:9000/bucket/streamed%20object", nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Content-Sha256", b.mode)
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(b.payload)))
	if len(b.trailer) > 0 {
		name, _, _ := strings.Cut(b.trailer[0], ":")
		r.Header.Set("X-Amz-Trailer", name)
	}
	if edit != nil {
		edit(r)
	}
	// Signatures are fixed-width, so a zero seed gives the encoded length.
	r.ContentLength = int64(len(b.encode(t, make([]byte, 32))))
	if err := s3Signer().SignHTTP(context.Background(), testCredentials(testSecret), r, b.mode, "s3", testRegion, signTime); err != nil {
		t.Fatalf("sign: %v", err)
	}
	body := b.encode(t, authorizationSignature(t, r))
	r.Body = io.NopCloser(bytes.NewReader(body))
	read := overTheWire(t, r)
	if tamper != nil {
		read.Body = io.NopCloser(bytes.NewReader(tamper(body)))
	}
	return read
}

func TestStreamingBodiesDecodeToThePayload(t *testing.T) {
	checksum := "x-amz-checksum-crc32:AAAAAA=="
	cases := []struct {
		name        string
		body        streamingBody
		wantTrailer map[string]string
	}{
		{"signed chunks", streamingBody{mode: streamingSignedPayload, payload: threeChunks}, nil},
		{"signed chunks of an empty payload", streamingBody{mode: streamingSignedPayload}, nil},
		{"signed chunks of exactly one chunk", streamingBody{mode: streamingSignedPayload, payload: threeChunks[:testChunkSize]}, nil},
		{"signed chunks with a signed trailer", streamingBody{mode: streamingSignedPayloadTrailer, payload: threeChunks, trailer: []string{checksum}},
			map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}},
		{"unsigned chunks with a trailer", streamingBody{mode: streamingUnsignedPayloadTrailer, payload: threeChunks, trailer: []string{checksum}},
			map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}},
		{"unsigned chunks without a trailer", streamingBody{mode: streamingUnsignedPayloadTrailer, payload: []byte("tiny")}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := testVerifier(signTime).Verify(tc.body.request(t, nil, nil))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.ContentLength != int64(len(tc.body.payload)) {
				t.Errorf("ContentLength = %d, want %d", res.ContentLength, len(tc.body.payload))
			}
			if res.Trailer() != nil {
				t.Errorf("Trailer() before EOF = %v, want nil", res.Trailer())
			}
			got, err := readBody(t, res)
			if err != nil {
				t.Fatalf("reading body: %v", err)
			}
			if !bytes.Equal(got, tc.body.payload) {
				t.Errorf("decoded %d bytes, want the %d-byte payload", len(got), len(tc.body.payload))
			}
			if fmt.Sprint(res.Trailer()) != fmt.Sprint(tc.wantTrailer) {
				t.Errorf("Trailer() = %v, want %v", res.Trailer(), tc.wantTrailer)
			}
		})
	}
}

func TestStreamingBodiesThatAreNotWhatWasSignedFailWhileReading(t *testing.T) {
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
	}
	setHeader := func(name, value string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set(name, value) }
	}
	signed := streamingBody{mode: streamingSignedPayload, payload: threeChunks}
	signedTrailer := streamingBody{mode: streamingSignedPayloadTrailer, payload: threeChunks, trailer: []string{"x-amz-checksum-crc32:AAAAAA=="}}
	unsignedTrailer := streamingBody{mode: streamingUnsignedPayloadTrailer, payload: threeChunks, trailer: []string{"x-amz-checksum-crc32:AAAAAA=="}}
	cases := []struct {
		name   string
		body   streamingBody
		edit   func(*http.Request)
		tamper func([]byte) []byte
		want   error
		// maxReleased is how many payload bytes may come out before the error.
		maxReleased int
	}{
		{
			name: "a signed chunk with one byte changed", body: signed,
			tamper: replace("BBBB", "BXBB"), want: ErrSignatureDoesNotMatch, maxReleased: testChunkSize,
		},
		{
			name: "a signed chunk dropped from the middle", body: signed,
			tamper: func(b []byte) []byte {
				second := bytes.Index(b, []byte("A\r\n")) + 3
				third := bytes.Index(b, []byte("B\r\n")) + 3
				return append(b[:second:second], b[third:]...)
			},
			want: ErrSignatureDoesNotMatch, maxReleased: testChunkSize,
		},
		{
			name: "a body cut off in the middle of a chunk", body: signed,
			tamper: func(b []byte) []byte { return b[:len(b)/2] }, want: ErrIncompleteBody, maxReleased: testChunkSize,
		},
		{
			name: "a body cut off before its final chunk", body: unsignedTrailer,
			tamper: func(b []byte) []byte { return b[:bytes.LastIndex(b, []byte("0\r\n"))] }, want: ErrIncompleteBody, maxReleased: len(threeChunks),
		},
		{
			name: "a decoded length one byte longer than the payload", body: signed,
			edit: setHeader("X-Amz-Decoded-Content-Length", strconv.Itoa(len(threeChunks)+1)), want: ErrIncompleteBody, maxReleased: len(threeChunks),
		},
		{
			name: "a decoded length one byte shorter than the payload", body: signed,
			edit: setHeader("X-Amz-Decoded-Content-Length", strconv.Itoa(len(threeChunks)-1)), want: ErrIncompleteBody, maxReleased: 2 * testChunkSize,
		},
		{
			name: "a signed trailer with its value changed", body: signedTrailer,
			tamper: replace("AAAAAA==", "BBBBBB=="), want: ErrSignatureDoesNotMatch, maxReleased: len(threeChunks),
		},
		{
			name: "a signed trailer without its signature", body: signedTrailer,
			tamper: func(b []byte) []byte {
				i := bytes.Index(b, []byte("x-amz-trailer-signature:"))
				return append(b[:i:i], "\r\n"...)
			},
			want: ErrSignatureDoesNotMatch, maxReleased: len(threeChunks),
		},
		{
			name: "a trailer not announced in x-amz-trailer", body: unsignedTrailer,
			edit: setHeader("X-Amz-Trailer", "x-amz-checksum-sha256"), want: ErrIncompleteBody, maxReleased: len(threeChunks),
		},
		{
			name: "bytes after the end of the body", body: unsignedTrailer,
			tamper: func(b []byte) []byte { return append(b, "0\r\n\r\n"...) }, want: ErrIncompleteBody, maxReleased: len(threeChunks),
		},
		{
			name: "an unsigned body whose chunks claim signatures", body: unsignedTrailer,
			tamper: replace("\r\nAAAA", ";chunk-signature=00\r\nAAAA"), want: ErrIncompleteBody, maxReleased: 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := testVerifier(signTime).Verify(tc.body.request(t, tc.edit, tc.tamper))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := readBody(t, res)
			if !errors.Is(err, tc.want) {
				t.Fatalf("reading body: %v, want %v", err, tc.want)
			}
			if len(got) > tc.maxReleased || !bytes.Equal(got, threeChunks[:len(got)]) {
				t.Errorf("released %d bytes before the error, want at most %d verified ones", len(got), tc.maxReleased)
			}
			if res.Trailer() != nil {
				t.Errorf("Trailer() after a failed body = %v, want nil", res.Trailer())
			}
		})
	}
}

func TestStreamingRequestsNeedADecodedContentLength(t *testing.T) {
	body := streamingBody{mode: streamingSignedPayload, payload: []byte("x")}
	r := body.request(t, func(r *http.Request) { r.Header.Del("X-Amz-Decoded-Content-Length") }, nil)
	if _, err := testVerifier(signTime).Verify(r); !errors.Is(err, ErrMissingContentLength) {
		t.Fatalf("Verify = %v, want ErrMissingContentLength", err)
	}
}

func TestChunkedReaderRejectsOversizedSignedChunksWithoutReadingThem(t *testing.T) {
	spec := payloadSpec{mode: payloadStreamingSigned, decodedLength: 1 << 40}
	signer := &chunkSigner{key: []byte("k"), previous: make([]byte, 32)}
	body := fmt.Sprintf("%x;chunk-signature=%064x\r\n", maxChunkSize+1, 0) + strings.Repeat("z", 64)
	c := newChunkedReader(io.NopCloser(strings.NewReader(body)), spec, signer)
	n, err := c.Read(make([]byte, 10))
	if n != 0 || !errors.Is(err, ErrIncompleteBody) {
		t.Fatalf("Read = %d, %v; want 0, ErrIncompleteBody", n, err)
	}
}

// The Go SDK sends a whole object as one unsigned chunk, however large.
func TestChunkedReaderStreamsUnsignedChunksOfAnySize(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), (maxChunkSize+1024)/16)
	body := fmt.Sprintf("%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", len(payload), payload)
	spec := payloadSpec{
		mode:          payloadStreamingUnsignedTrailer,
		decodedLength: int64(len(payload)),
		trailerNames:  map[string]bool{"x-amz-checksum-crc32": true},
	}
	c := newChunkedReader(io.NopCloser(strings.NewReader(body)), spec, nil)
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("ReadAll = %d bytes, %v; want the %d-byte payload", len(got), err, len(payload))
	}
	if c.trailer()["x-amz-checksum-crc32"] != "AAAAAA==" {
		t.Errorf("trailer = %v, want the crc32 checksum", c.trailer())
	}
}

func TestChunkedReaderRefusesMalformedChunkSizes(t *testing.T) {
	for _, size := range []string{"+5", "-0", "0x5", "8000000000000000", ""} {
		spec := payloadSpec{mode: payloadStreamingUnsignedTrailer, decodedLength: 5}
		c := newChunkedReader(io.NopCloser(strings.NewReader(size+"\r\nhello\r\n0\r\n\r\n")), spec, nil)
		if _, err := io.ReadAll(c); !errors.Is(err, ErrIncompleteBody) {
			t.Errorf("chunk size %q: ReadAll error = %v, want ErrIncompleteBody", size, err)
		}
	}
}
