package sigv4

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrSignedPayloadUnsigned is a request without a signature whose
// x-amz-content-sha256 announces signed chunks: there is no signature to
// check them against.
var ErrSignedPayloadUnsigned = errors.New("signed streaming payload without a signature")

// Unsigned returns the payload of a request that carries no signature at
// all (an anonymous request), as Verify does for a signed one: the body as
// sent when x-amz-content-sha256 is absent or UNSIGNED-PAYLOAD, checked at
// EOF against the digest it names otherwise, and decoded (trailer included)
// when it is STREAMING-UNSIGNED-PAYLOAD-TRAILER. A signed streaming mode
// gives ErrSignedPayloadUnsigned.
func Unsigned(r *http.Request) (*Result, error) {
	hash := r.Header.Get("X-Amz-Content-Sha256")
	if hash == "" {
		hash = unsignedPayload
	}
	payload, err := parsePayload(r, hash)
	if err != nil {
		return nil, err
	}
	if payload.mode.signedChunks() {
		return nil, fmt.Errorf("%w: x-amz-content-sha256 %s", ErrSignedPayloadUnsigned, hash)
	}
	res := &Result{ContentLength: r.ContentLength, Trailer: func() map[string]string { return nil }}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	switch payload.mode {
	case payloadUnsigned:
		res.Body = body
	case payloadSHA256:
		res.Body = newSHA256Reader(body, payload.sum)
	default:
		chunked := newChunkedReader(body, payload, nil)
		res.Body = chunked
		res.ContentLength = payload.decodedLength
		res.Trailer = chunked.trailer
	}
	return res, nil
}
