package sigv4

import (
	"fmt"
	"net/http"
)

// verifyHeader authenticates a request signed in its Authorization header.
func (v *Verifier) verifyHeader(r *http.Request, header string, query queryParams) (*Result, error) {
	c, err := parseAuthorizationHeader(header)
	if err != nil {
		return nil, err
	}
	if c.date, c.amzDate, err = requestDate(r); err != nil {
		return nil, err
	}
	if err := v.checkScope(c.credential, c.date, ErrAuthorizationHeaderMalformed); err != nil {
		return nil, err
	}
	// A signed request is only good near the time it was signed, which
	// limits how long a captured request can be replayed.
	now := v.now()
	if skew := now.Sub(c.date); skew > v.maxSkew() || skew < -v.maxSkew() {
		return nil, fmt.Errorf("%w: request time %s differs from server time %s by more than %s",
			ErrRequestTimeTooSkewed, c.amzDate, now.UTC().Format(iso8601Basic), v.maxSkew())
	}
	hash := r.Header.Get("X-Amz-Content-Sha256")
	if hash == "" {
		return nil, fmt.Errorf("%w: missing required header for this request: x-amz-content-sha256", ErrMissingSecurityHeader)
	}
	payload, err := parsePayload(r, hash)
	if err != nil {
		return nil, err
	}
	return v.finish(r, c, query, "", payload, false)
}
