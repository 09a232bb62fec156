// Package sigv4 verifies AWS Signature Version 4 on incoming S3 requests:
// the Authorization header, presigned URLs, and the aws-chunked streaming
// bodies (signed chunks, unsigned chunks with trailers, signed trailers).
package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Errors Verify returns (possibly wrapped). The S3 layer maps each to the S3
// error code of the same name.
var (
	ErrAccessDenied                  = errors.New("AccessDenied")                 // anonymous request, expired presign
	ErrInvalidAccessKeyID            = errors.New("InvalidAccessKeyId")           // unknown access key
	ErrSignatureDoesNotMatch         = errors.New("SignatureDoesNotMatch")        // wrong signature (header, presign or chunk)
	ErrAuthorizationHeaderMalformed  = errors.New("AuthorizationHeaderMalformed") // unparsable header, wrong region/service
	ErrAuthorizationQueryParamsError = errors.New("AuthorizationQueryParametersError")
	ErrRequestTimeTooSkewed          = errors.New("RequestTimeTooSkewed")
	ErrXAmzContentSHA256Mismatch     = errors.New("XAmzContentSHA256Mismatch") // payload hash differs (found at EOF)
	ErrInvalidDigest                 = errors.New("InvalidDigest")             // bad x-amz-content-sha256 value
	ErrIncompleteBody                = errors.New("IncompleteBody")            // body ended early / malformed chunk
	ErrMissingSecurityHeader         = errors.New("MissingSecurityHeader")     // e.g. missing x-amz-content-sha256
	ErrMissingContentLength          = errors.New("MissingContentLength")
	ErrUnsupportedAlgorithm          = errors.New("NotImplemented") // e.g. SigV4A, or SigV2 (package sigv2's)
)

// LookupFunc returns the secret key of accessKey, or an error wrapping
// ErrInvalidAccessKeyID when there is none.
type LookupFunc func(ctx context.Context, accessKey string) (secret string, err error)

// Verifier checks request signatures.
type Verifier struct {
	Region  string // the one region requests must be signed for
	Service string // "s3" when empty
	// MaxSkew is the allowed clock difference (15 minutes when zero).
	MaxSkew time.Duration
	// Now defaults to time.Now.
	Now    func() time.Time
	Lookup LookupFunc
}

// Result is an authenticated request.
type Result struct {
	AccessKey string
	Presigned bool
	// Body is the payload to read instead of r.Body: the decoded bytes of an
	// aws-chunked body (chunk signatures checked as it is read), or r.Body
	// wrapped so that a signed payload hash is checked at EOF. Reading it
	// returns an error wrapping ErrSignatureDoesNotMatch,
	// ErrXAmzContentSHA256Mismatch or ErrIncompleteBody when the payload is
	// not what was signed or ends early; the error comes before io.EOF, so a
	// consumer that stops at the first error never accepts a bad payload.
	Body io.ReadCloser
	// ContentLength is the payload length: x-amz-decoded-content-length for
	// aws-chunked bodies, r.ContentLength otherwise (-1 if unknown).
	ContentLength int64
	// Trailer returns the trailing headers of an aws-chunked body (lower-case
	// names, e.g. "x-amz-checksum-crc32"), valid once Body returned io.EOF;
	// nil map when there were none.
	Trailer func() map[string]string
}

// Verify authenticates r. It does not read the body; reading Result.Body
// checks the payload.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAuthorizationQueryParamsError, err)
	}
	header := r.Header.Get("Authorization")
	presigned := query.isPresigned()
	switch {
	case header != "" && presigned:
		return nil, fmt.Errorf("%w: only one auth mechanism allowed", ErrAuthorizationQueryParamsError)
	case header != "":
		return v.verifyHeader(r, header, query)
	case presigned:
		return v.verifyPresigned(r, query)
	default:
		return nil, fmt.Errorf("%w: anonymous requests are not allowed", ErrAccessDenied)
	}
}

func (v *Verifier) service() string {
	if v.Service == "" {
		return "s3"
	}
	return v.Service
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew <= 0 {
		return 15 * time.Minute
	}
	return v.MaxSkew
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}
