package sigv4

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Values of x-amz-content-sha256 other than a hex digest.
const (
	unsignedPayload                 = "UNSIGNED-PAYLOAD"
	streamingSignedPayload          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedPayloadTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSAPrefix            = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
)

// payloadMode is how the body is protected.
type payloadMode int

const (
	payloadUnsigned                 payloadMode = iota // body not covered by the signature
	payloadSHA256                                      // body's SHA256 signed up front
	payloadStreamingSigned                             // aws-chunked, every chunk signed
	payloadStreamingSignedTrailer                      // aws-chunked, chunks and trailer signed
	payloadStreamingUnsignedTrailer                    // aws-chunked, unsigned, with trailer
)

func (m payloadMode) signedChunks() bool {
	return m == payloadStreamingSigned || m == payloadStreamingSignedTrailer
}

func (m payloadMode) hasTrailer() bool {
	return m == payloadStreamingSignedTrailer || m == payloadStreamingUnsignedTrailer
}

// payloadSpec is what the headers say about the body, checked before the
// signature so a malformed request fails without a key lookup.
type payloadSpec struct {
	hash          string // the value signed as the canonical request's last line
	mode          payloadMode
	sum           []byte          // payloadSHA256: the expected digest
	decodedLength int64           // aws-chunked: x-amz-decoded-content-length
	trailerNames  map[string]bool // aws-chunked with trailer: names announced in x-amz-trailer
}

// parsePayload interprets a payload hash (from x-amz-content-sha256, or
// UNSIGNED-PAYLOAD for a presigned URL) and the headers that go with it.
func parsePayload(r *http.Request, hash string) (payloadSpec, error) {
	spec := payloadSpec{hash: hash}
	switch {
	case hash == unsignedPayload:
		spec.mode = payloadUnsigned
		return spec, nil
	case hash == streamingSignedPayload:
		spec.mode = payloadStreamingSigned
	case hash == streamingSignedPayloadTrailer:
		spec.mode = payloadStreamingSignedTrailer
	case hash == streamingUnsignedPayloadTrailer:
		spec.mode = payloadStreamingUnsignedTrailer
	case strings.HasPrefix(hash, streamingECDSAPrefix):
		return payloadSpec{}, fmt.Errorf("%w: payload signing %q (SigV4A)", ErrUnsupportedAlgorithm, hash)
	default:
		sum, err := hex.DecodeString(hash)
		if err != nil || len(sum) != 32 {
			return payloadSpec{}, fmt.Errorf("%w: x-amz-content-sha256 %q is not a SHA256 hex digest or a known payload mode", ErrInvalidDigest, hash)
		}
		spec.mode = payloadSHA256
		spec.sum = sum
		return spec, nil
	}

	decoded := r.Header.Get("X-Amz-Decoded-Content-Length")
	if decoded == "" {
		return payloadSpec{}, fmt.Errorf("%w: x-amz-decoded-content-length is required with %s", ErrMissingContentLength, hash)
	}
	n, err := strconv.ParseInt(decoded, 10, 64)
	if err != nil || n < 0 {
		return payloadSpec{}, fmt.Errorf("%w: x-amz-decoded-content-length %q is not a length", ErrMissingContentLength, decoded)
	}
	spec.decodedLength = n
	if spec.mode.hasTrailer() {
		spec.trailerNames = map[string]bool{}
		for _, value := range r.Header.Values("X-Amz-Trailer") {
			for name := range strings.SplitSeq(value, ",") {
				if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
					spec.trailerNames[name] = true
				}
			}
		}
	}
	return spec, nil
}
