// Package sigv2 verifies AWS Signature Version 2 on incoming S3 requests:
// the Authorization header ("AWS AccessKeyId:Signature"), presigned URLs
// (?AWSAccessKeyId=&Expires=&Signature=) and the signature of a browser
// POST policy. Older tools still sign this way: the aws CLI v1 presigns
// with it, boto3 with signature_version "s3", s3cmd with signature_v2.
//
// SigV2 signs no payload, so the body a verified request carries is its own,
// unchecked; Content-MD5, when sent, is signed and checked by the object
// service as for any request.
package sigv2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Errors Verify returns (possibly wrapped). The S3 layer maps each to the S3
// error code of the same name.
var (
	ErrAccessDenied          = errors.New("AccessDenied")          // no or bad date, expired URL, missing parameters
	ErrInvalidAccessKeyID    = errors.New("InvalidAccessKeyId")    // unknown access key
	ErrSignatureDoesNotMatch = errors.New("SignatureDoesNotMatch") // see MismatchError
	ErrRequestTimeTooSkewed  = errors.New("RequestTimeTooSkewed")
	ErrInvalidArgument       = errors.New("InvalidArgument") // malformed header, two auth mechanisms
	ErrInvalidRequest        = errors.New("InvalidRequest")  // a body only SigV4 can carry
)

// LookupFunc returns the secret key of accessKey, or an error wrapping
// ErrInvalidAccessKeyID when there is none.
type LookupFunc func(ctx context.Context, accessKey string) (secret string, err error)

// Verifier checks SigV2 signatures.
type Verifier struct {
	// HostBucket returns the bucket a Host header names (virtual-host
	// style), or "" when the host names none; nil means path style only.
	// The bucket is part of what the client signed.
	HostBucket func(host string) string
	// MaxSkew is the allowed clock difference of header-signed requests
	// (15 minutes when zero). Presigned URLs carry their own expiry.
	MaxSkew time.Duration
	// Now defaults to time.Now.
	Now    func() time.Time
	Lookup LookupFunc
}

// Result is an authenticated request.
type Result struct {
	AccessKey string
	Presigned bool
	// Body is r.Body (never nil); ContentLength is r.ContentLength.
	Body          io.ReadCloser
	ContentLength int64
}

// Error is a refusal, with the message AWS gives for it.
type Error struct {
	Code    error  // one of the Err* values above
	Message string // for the client; "" leaves the code's usual message
	Detail  string // more for logs, never shown
}

func (e *Error) Error() string {
	s := e.Code.Error()
	for _, part := range []string{e.Message, e.Detail} {
		if part != "" {
			s += ": " + part
		}
	}
	return s
}

func (e *Error) Unwrap() error { return e.Code }

func refuse(code error, message string) *Error { return &Error{Code: code, Message: message} }

// MismatchError is a signature that does not match. It carries what AWS
// puts in the SignatureDoesNotMatch error body, so that a client can see
// which string the server signed: the string is no secret, and the
// signature provided is the client's own.
type MismatchError struct {
	AccessKey         string
	StringToSign      string
	SignatureProvided string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%v: the signature of access key %s does not match the string to sign %q", ErrSignatureDoesNotMatch, e.AccessKey, e.StringToSign)
}

func (e *MismatchError) Unwrap() error { return ErrSignatureDoesNotMatch }

// StringToSignBytes is the string to sign as AWS also shows it: each byte
// in two hex digits, separated by spaces.
func (e *MismatchError) StringToSignBytes() string {
	var b strings.Builder
	for i := 0; i < len(e.StringToSign); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", e.StringToSign[i])
	}
	return b.String()
}

// Query parameters of a presigned URL and the Authorization header's scheme.
const (
	queryAccessKey = "AWSAccessKeyId"
	querySignature = "Signature"
	queryExpires   = "Expires"
	headerScheme   = "AWS "
)

// sigV4QueryParams name SigV4 query authentication; a SigV2 request must
// not carry them too.
var sigV4QueryParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"}

// Claims reports whether r says it is signed with SigV2: an Authorization
// header of the "AWS " scheme, or, without any Authorization header, a
// query with AWSAccessKeyId and no SigV4 parameters. Other requests belong
// to the SigV4 verifier (which also refuses the anonymous ones).
func Claims(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		return strings.HasPrefix(h, headerScheme)
	}
	q := parseQuery(r.URL.RawQuery)
	if !q.has(queryAccessKey) {
		return false
	}
	for _, name := range sigV4QueryParams {
		if q.has(name) {
			return false
		}
	}
	return true
}

// Verify authenticates a request that Claims is signed with SigV2.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	q := parseQuery(r.URL.RawQuery)
	var accessKey string
	var err error
	presigned := false
	if header := r.Header.Get("Authorization"); header != "" {
		accessKey, err = v.verifyHeader(r, header, q)
	} else {
		presigned = true
		accessKey, err = v.verifyPresigned(r, q)
	}
	if err != nil {
		return nil, err
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	return &Result{AccessKey: accessKey, Presigned: presigned, Body: body, ContentLength: r.ContentLength}, nil
}

// checkBody refuses an aws-chunked body: its framing is decoded and its
// chunks verified only under SigV4, and stored as it is it would corrupt
// the object.
func checkBody(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return refuse(ErrInvalidRequest, "aws-chunked uploads must be signed with Signature Version 4")
	}
	return nil
}

// authenticate looks up the secret of accessKey and checks signature
// against each string the client may have signed, the most likely first.
// A mismatch reports the first.
func (v *Verifier) authenticate(ctx context.Context, accessKey, signature string, candidates []string) error {
	if v.Lookup == nil {
		return fmt.Errorf("verify signature: no access key lookup configured")
	}
	secret, err := v.Lookup(ctx, accessKey)
	if err != nil {
		return fmt.Errorf("look up access key %q: %w", accessKey, err)
	}
	for _, s := range candidates {
		if signatureMatches(sign(secret, s), signature) {
			return nil
		}
	}
	return &MismatchError{AccessKey: accessKey, StringToSign: candidates[0], SignatureProvided: signature}
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

func (v *Verifier) hostBucket(host string) string {
	if v.HostBucket == nil {
		return ""
	}
	return v.HostBucket(host)
}
