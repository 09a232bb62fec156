package sigv4

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// maxPresignExpiry is the longest X-Amz-Expires S3 accepts: one week.
const maxPresignExpiry = 7 * 24 * time.Hour

// verifyPresigned authenticates a presigned URL (query-string auth).
func (v *Verifier) verifyPresigned(r *http.Request, query queryParams) (*Result, error) {
	algorithm, ok := query.get(queryAlgorithm)
	if !ok {
		if _, v2 := query.get(queryV2AccessKey); v2 {
			return nil, fmt.Errorf("%w: SigV2 presigned URLs are package sigv2's to verify", ErrUnsupportedAlgorithm)
		}
	}
	if ok && algorithm != algorithmHMAC {
		return nil, fmt.Errorf("%w: X-Amz-Algorithm %q", ErrUnsupportedAlgorithm, algorithm)
	}
	params := map[string]string{}
	for _, name := range []string{queryAlgorithm, queryCredential, queryDate, queryExpires, querySignedHeaders, querySignature} {
		value, ok := query.get(name)
		if !ok || value == "" {
			return nil, fmt.Errorf("%w: query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters", ErrAuthorizationQueryParamsError)
		}
		params[name] = value
	}

	var c claim
	var err error
	if c.credential, err = parseCredential(params[queryCredential]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAuthorizationQueryParamsError, err)
	}
	if c.signedHeaders, err = parseSignedHeaders(params[querySignedHeaders]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAuthorizationQueryParamsError, err)
	}
	if c.signature, err = parseSignature(params[querySignature]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAuthorizationQueryParamsError, err)
	}
	c.amzDate = params[queryDate]
	if c.date, err = time.Parse(iso8601Basic, c.amzDate); err != nil {
		return nil, fmt.Errorf("%w: X-Amz-Date %q must be in the ISO8601 long format", ErrAuthorizationQueryParamsError, c.amzDate)
	}
	expires, err := parseExpires(params[queryExpires])
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(c.credential, c.date, ErrAuthorizationQueryParamsError); err != nil {
		return nil, err
	}

	now := v.now()
	if c.date.Sub(now) > v.maxSkew() {
		return nil, fmt.Errorf("%w: Request is not valid yet", ErrAccessDenied)
	}
	// A lifetime of 0 is over as soon as it starts, as on S3.
	if expires == 0 || now.After(c.date.Add(expires)) {
		return nil, &ExpiredError{Lifetime: expires, Expired: c.date.Add(expires), Now: now}
	}

	// A presigned URL cannot know the body it will carry, so it signs
	// UNSIGNED-PAYLOAD unless the signer pinned a hash in the query.
	hash, ok := query.get(queryContentSHA256)
	if !ok {
		hash = unsignedPayload
	}
	payload, err := parsePayload(r, hash)
	if err != nil {
		return nil, err
	}
	return v.finish(r, c, query, querySignature, payload, true)
}

// ExpiredError is a presigned URL used after its lifetime. It wraps
// ErrAccessDenied; the S3 layer adds the lifetime, the expiry and the
// server's time to the error body, as S3 does.
type ExpiredError struct {
	Lifetime     time.Duration
	Expired, Now time.Time
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("%v: Request has expired (at %s, now %s)", ErrAccessDenied, e.Expired.UTC().Format(time.RFC3339), e.Now.UTC().Format(time.RFC3339))
}

func (e *ExpiredError) Unwrap() error { return ErrAccessDenied }

// ExpiresError is an X-Amz-Expires S3 refuses. It wraps
// ErrAuthorizationQueryParamsError; Message is S3's text for it, which the
// S3 layer sends as the error's message.
type ExpiresError struct{ Message string }

func (e *ExpiresError) Error() string {
	return fmt.Sprintf("%v: %s", ErrAuthorizationQueryParamsError, e.Message)
}

func (e *ExpiresError) Unwrap() error { return ErrAuthorizationQueryParamsError }

// parseExpires reads X-Amz-Expires: whole seconds from 0 (expired at once)
// to a week, with S3's messages for the values it refuses.
func parseExpires(s string) (time.Duration, error) {
	seconds, err := strconv.ParseInt(s, 10, 64)
	limit := int64(maxPresignExpiry / time.Second)
	switch {
	case err != nil:
		return 0, &ExpiresError{Message: "X-Amz-Expires should be a number"}
	case seconds < 0:
		return 0, &ExpiresError{Message: "X-Amz-Expires must be non-negative"}
	case seconds > limit:
		return 0, &ExpiresError{Message: fmt.Sprintf("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than %d seconds", limit)}
	}
	return time.Duration(seconds) * time.Second, nil
}
