package auth

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// Lengths of generated credentials, as AWS issues them.
const (
	accessKeyLen = 20
	secretKeyLen = 40
	// generatedPasswordLen is the length of a bootstrap password: 24 chars
	// of a 64-symbol alphabet are 144 bits.
	generatedPasswordLen = 24
)

// Alphabets for generated credentials.
const (
	accessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	urlSafeAlphabet   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// Limits for supplied (configured) access keys.
const (
	minAccessKeyLen = 3
	maxAccessKeyLen = 128
	minSecretKeyLen = 8
	maxSecretKeyLen = 128
)

// Username rules.
const maxUsernameLen = 64

// randomString returns n symbols drawn uniformly from alphabet (at most 256
// symbols) with crypto/rand, rejecting bytes that would bias the draw.
func randomString(alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("auth: random: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

func newAccessKey() (string, error) { return randomString(accessKeyAlphabet, accessKeyLen) }
func newSecretKey() (string, error) { return randomString(secretKeyAlphabet, secretKeyLen) }
func newPassword() (string, error)  { return randomString(urlSafeAlphabet, generatedPasswordLen) }

// ValidateUsername reports ErrInvalidUsername unless u is 1 to 64 characters
// of [A-Za-z0-9._@-]. Case does not tell usernames apart (FoldUsername).
func ValidateUsername(u string) error {
	if len(u) == 0 || len(u) > maxUsernameLen {
		return fmt.Errorf("%w: must be 1 to %d characters", ErrInvalidUsername, maxUsernameLen)
	}
	for i := 0; i < len(u); i++ {
		if !isUsernameChar(u[i]) {
			return fmt.Errorf("%w: %q: only letters, digits and . _ @ - are allowed", ErrInvalidUsername, u)
		}
	}
	return nil
}

// FoldUsername is the form of a username that compares: usernames are one
// name in any case, and hold no letters but ASCII ones.
func FoldUsername(u string) string { return strings.ToLower(u) }

func isUsernameChar(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
		strings.IndexByte("._@-", c) >= 0
}

// ValidateAccessKey reports ErrInvalidAccessKey unless the access key is 3
// to 128 and the secret 8 to 128 printable ASCII characters without
// whitespace; the access key may not hold '/' either, since it is a field of
// the SigV4 credential scope, which '/' separates.
func ValidateAccessKey(accessKey, secretKey string) error {
	if len(accessKey) < minAccessKeyLen || len(accessKey) > maxAccessKeyLen || !printableNoSpace(accessKey) ||
		strings.Contains(accessKey, "/") {
		return fmt.Errorf("%w: access key must be %d to %d printable characters without whitespace or '/'",
			ErrInvalidAccessKey, minAccessKeyLen, maxAccessKeyLen)
	}
	if len(secretKey) < minSecretKeyLen || len(secretKey) > maxSecretKeyLen || !printableNoSpace(secretKey) {
		return fmt.Errorf("%w: secret key must be %d to %d printable characters without whitespace",
			ErrInvalidAccessKey, minSecretKeyLen, maxSecretKeyLen)
	}
	return nil
}

// printableNoSpace reports whether s is visible ASCII (0x21..0x7e) only.
func printableNoSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
