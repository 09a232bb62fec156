package sigv2

import "context"

// VerifyPolicy checks the signature of a browser POST form signed with
// SigV2: the base64 HMAC-SHA1 of the policy field exactly as sent (the
// base64 text, not the JSON it decodes to). The policy's conditions are the
// caller's to check.
func (v *Verifier) VerifyPolicy(ctx context.Context, accessKey, policy, signature string) error {
	return v.authenticate(ctx, accessKey, signature, []string{policy})
}
