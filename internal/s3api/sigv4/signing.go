package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const (
	algorithmHMAC    = "AWS4-HMAC-SHA256"
	algorithmPayload = "AWS4-HMAC-SHA256-PAYLOAD" // chunk signatures
	algorithmTrailer = "AWS4-HMAC-SHA256-TRAILER" // trailer signature
	scopeTerminator  = "aws4_request"

	// emptySHA256 is the hex SHA256 of no bytes.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// signingKey derives the SigV4 key of one day, region and service.
func signingKey(secret, date, region, service string) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	return hmacSHA256(key, scopeTerminator)
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// stringToSign joins the lines of a SigV4 string to sign.
func stringToSign(lines ...string) string {
	return strings.Join(lines, "\n")
}

// signatureMatches compares in constant time, so the time taken does not
// tell an attacker how many leading bytes of a forged signature are right.
func signatureMatches(computed, claimed []byte) bool {
	return hmac.Equal(computed, claimed)
}
