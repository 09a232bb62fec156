package sigv4

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"
)

// PostForm is what a browser POST form signed with SigV4 carries: its
// x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature
// fields, and the policy field exactly as sent (base64).
type PostForm struct {
	Algorithm, Credential, Date, Signature string
	Policy                                 string
}

// VerifyPost checks the signature of a browser POST form: the hex
// HMAC-SHA256 of the base64 policy under the signing key of the
// credential's scope, which must name this verifier's region and service
// and the day of x-amz-date. It returns the access key. The form's age is
// not checked here: the policy's expiration, which the caller checks with
// its conditions, is what limits it.
func (v *Verifier) VerifyPost(ctx context.Context, f PostForm) (string, error) {
	if f.Algorithm != algorithmHMAC {
		return "", fmt.Errorf("%w: x-amz-algorithm %q", ErrUnsupportedAlgorithm, f.Algorithm)
	}
	c, err := parseCredential(f.Credential)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrAuthorizationHeaderMalformed, err)
	}
	date, err := time.Parse(iso8601Basic, f.Date)
	if err != nil {
		return "", fmt.Errorf("%w: x-amz-date %q must be in the ISO8601 long format", ErrAuthorizationHeaderMalformed, f.Date)
	}
	if err := v.checkScope(c, date, ErrAuthorizationHeaderMalformed); err != nil {
		return "", err
	}
	if v.Lookup == nil {
		return "", fmt.Errorf("verify signature: no access key lookup configured")
	}
	secret, err := v.Lookup(ctx, c.accessKey)
	if err != nil {
		return "", fmt.Errorf("look up access key %q: %w", c.accessKey, err)
	}
	claimed, err := hex.DecodeString(f.Signature)
	key := signingKey(secret, c.date, c.region, c.service)
	if err != nil || !signatureMatches(hmacSHA256(key, f.Policy), claimed) {
		return "", fmt.Errorf("%w: the policy signature we calculated does not match the signature you provided", ErrSignatureDoesNotMatch)
	}
	return c.accessKey, nil
}
