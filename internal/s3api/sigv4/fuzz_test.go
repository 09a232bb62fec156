package sigv4

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzChunkedReader feeds arbitrary bodies to the aws-chunked decoder in each
// mode: it must never panic, never release more bytes than declared, and
// report success only for a body that decoded to exactly the declared length.
func FuzzChunkedReader(f *testing.F) {
	seed := make([]byte, 32)
	checksum := []string{"x-amz-checksum-crc32:AAAAAA=="}
	for _, b := range []streamingBody{
		{mode: streamingSignedPayload, payload: threeChunks[testChunkSize-10 : testChunkSize+20]},
		{mode: streamingSignedPayloadTrailer, payload: []byte("hello"), trailer: checksum},
		{mode: streamingUnsignedPayloadTrailer, payload: []byte("hello"), trailer: checksum},
		{mode: streamingUnsignedPayloadTrailer},
	} {
		f.Add(b.encode(f, seed), uint16(len(b.payload)), b.mode)
	}
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint16(3), streamingUnsignedPayloadTrailer)
	f.Add([]byte("fffffffffffffffff\r\n"), uint16(9), streamingUnsignedPayloadTrailer)

	f.Fuzz(func(t *testing.T, body []byte, declared uint16, mode string) {
		spec := payloadSpec{
			hash:          mode,
			decodedLength: int64(declared),
			trailerNames:  map[string]bool{"x-amz-checksum-crc32": true},
		}
		var signer *chunkSigner
		switch mode {
		case streamingSignedPayload:
			spec.mode = payloadStreamingSigned
		case streamingSignedPayloadTrailer:
			spec.mode = payloadStreamingSignedTrailer
		default:
			spec.mode = payloadStreamingUnsignedTrailer
		}
		if spec.mode.signedChunks() {
			signer = &chunkSigner{
				key:      signingKey(testSecret, "20261128", testRegion, "s3"),
				amzDate:  "20261128T120000Z",
				scope:    "20261128/us-east-1/s3/aws4_request",
				previous: seed,
			}
		}
		c := newChunkedReader(io.NopCloser(bytes.NewReader(body)), spec, signer)
		var total int64
		buf := make([]byte, 7)
		var err error
		for err == nil {
			var n int
			n, err = c.Read(buf)
			total += int64(n)
			if total > int64(declared) {
				t.Fatalf("released %d bytes, more than the %d declared", total, declared)
			}
		}
		if errors.Is(err, io.EOF) && total != int64(declared) {
			t.Fatalf("body ended well after %d bytes, but %d were declared", total, declared)
		}
		if !errors.Is(err, io.EOF) && c.trailer() != nil {
			t.Fatalf("failed body (%v) still exposes trailers %v", err, c.trailer())
		}
	})
}
