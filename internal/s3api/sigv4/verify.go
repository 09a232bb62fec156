package sigv4

import (
	"fmt"
	"net/http"
	"time"
)

// WrongRegionError is a credential scope that names another region than
// the verifier's. It wraps ErrAuthorizationHeaderMalformed or
// ErrAuthorizationQueryParamsError; the S3 layer adds Want to the error
// body as <Region>, which clients (s3cmd, the AWS SDKs) read to sign again
// for the right region.
type WrongRegionError struct {
	Got, Want string
	malformed error
}

func (e *WrongRegionError) Error() string {
	return fmt.Sprintf("%v: the region '%s' is wrong; expecting '%s'", e.malformed, e.Got, e.Want)
}

func (e *WrongRegionError) Unwrap() error { return e.malformed }

// checkScope checks a credential scope against the request date and this
// verifier's region and service. malformed is the error to wrap: the header
// and presigned forms report a bad scope under different S3 error codes.
func (v *Verifier) checkScope(c credential, date time.Time, malformed error) error {
	if want := date.Format(scopeDate); c.date != want {
		return fmt.Errorf("%w: credential date %q does not match request date %q", malformed, c.date, want)
	}
	// Only the region's own name is a valid scope, as on AWS, where a
	// us-east-1 endpoint refuses the "US" that s3cmd signs with by default
	// and says which region to sign for instead (see WrongRegionError).
	if c.region != v.Region {
		return &WrongRegionError{Got: c.region, Want: v.Region, malformed: malformed}
	}
	if c.service != v.service() {
		return fmt.Errorf("%w: the service '%s' is wrong; expecting '%s'", malformed, c.service, v.service())
	}
	if c.terminator != scopeTerminator {
		return fmt.Errorf("%w: credential scope must end with %q, not %q", malformed, scopeTerminator, c.terminator)
	}
	return nil
}

// authenticate looks up the caller's secret and checks the request
// signature; it returns the signing key, which chunk signatures also use.
// skip names the query parameter the signature itself travels in, if any.
func (v *Verifier) authenticate(r *http.Request, c claim, query queryParams, skip, payloadHash string) ([]byte, error) {
	if v.Lookup == nil {
		return nil, fmt.Errorf("verify signature: no access key lookup configured")
	}
	secret, err := v.Lookup(r.Context(), c.credential.accessKey)
	if err != nil {
		return nil, fmt.Errorf("look up access key %q: %w", c.credential.accessKey, err)
	}
	key := signingKey(secret, c.credential.date, c.credential.region, c.credential.service)
	canonicalQuery := query.canonical(skip)
	headers := canonicalHeaders(r, c.signedHeaders)
	for _, uri := range canonicalURIs(r) {
		request := canonicalRequest(r.Method, uri, canonicalQuery, c.signedHeaders, headers, payloadHash)
		toSign := stringToSign(algorithmHMAC, c.amzDate, c.credential.scope(), sha256Hex([]byte(request)))
		if signatureMatches(hmacSHA256(key, toSign), c.signature) {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%w: the request signature we calculated does not match the signature you provided", ErrSignatureDoesNotMatch)
}

// finish authenticates a parsed claim and wraps the body as its payload hash
// demands.
func (v *Verifier) finish(r *http.Request, c claim, query queryParams, skip string, payload payloadSpec, presigned bool) (*Result, error) {
	key, err := v.authenticate(r, c, query, skip, payload.hash)
	if err != nil {
		return nil, err
	}
	res := &Result{
		AccessKey:     c.credential.accessKey,
		Presigned:     presigned,
		ContentLength: r.ContentLength,
		Trailer:       func() map[string]string { return nil },
	}
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
		var signer *chunkSigner
		if payload.mode.signedChunks() {
			signer = &chunkSigner{key: key, amzDate: c.amzDate, scope: c.credential.scope(), previous: c.signature}
		}
		chunked := newChunkedReader(body, payload, signer)
		res.Body = chunked
		res.ContentLength = payload.decodedLength
		res.Trailer = chunked.trailer
	}
	return res, nil
}
