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
	if now.After(c.date.Add(expires)) {
		return nil, fmt.Errorf("%w: Request has expired", ErrAccessDenied)
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

func parseExpires(s string) (time.Duration, error) {
	seconds, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: X-Amz-Expires %q should be a number", ErrAuthorizationQueryParamsError, s)
	}
	limit := int64(maxPresignExpiry / time.Second)
	if seconds < 1 || seconds > limit {
		return 0, fmt.Errorf("%w: X-Amz-Expires %d must be between 1 and %d seconds", ErrAuthorizationQueryParamsError, seconds, limit)
	}
	return time.Duration(seconds) * time.Second, nil
}
