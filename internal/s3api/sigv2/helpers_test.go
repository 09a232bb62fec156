package sigv2

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The credentials of AWS's SigV2 examples.
const (
	exampleAccessKey = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// exampleHostBucket addresses buckets as AWS's examples do: by the
// s3.amazonaws.com subdomain, or by a CNAME naming the bucket.
func exampleHostBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if b, ok := strings.CutSuffix(host, ".s3.amazonaws.com"); ok {
		return b
	}
	if host == "static.johnsmith.net" {
		return host
	}
	return ""
}

// testVerifier knows the example access key and runs its clock at now.
func testVerifier(now time.Time) *Verifier {
	return &Verifier{
		HostBucket: exampleHostBucket,
		Now:        func() time.Time { return now },
		Lookup: func(_ context.Context, accessKey string) (string, error) {
			if accessKey != exampleAccessKey {
				return "", fmt.Errorf("access key %q: %w", accessKey, ErrInvalidAccessKeyID)
			}
			return exampleSecret, nil
		},
	}
}

// wireRequest reads a request as a server does off the wire: lines joined
// with CRLF, the header ended by an empty line. The body is never read.
func wireRequest(t *testing.T, lines ...string) *http.Request {
	t.Helper()
	raw := strings.Join(lines, "\r\n") + "\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("read request %q: %v", raw, err)
	}
	return r
}

// hmacSHA1 is written independently of sign, so tests do not check the
// code against itself.
func hmacSHA1(secret, s string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signedHeaderRequest returns a wire request with its Authorization header
// computed over stringToSign.
func signedHeaderRequest(t *testing.T, stringToSign string, lines ...string) *http.Request {
	t.Helper()
	auth := "Authorization: AWS " + exampleAccessKey + ":" + hmacSHA1(exampleSecret, stringToSign)
	return wireRequest(t, append(lines, auth)...)
}

// stringToSignOf is the string AWS's rule signs for r (the first
// candidate), as a failed verification reports it.
func stringToSignOf(t *testing.T, r *http.Request, now time.Time) string {
	t.Helper()
	r.Header.Set("Authorization", "AWS "+exampleAccessKey+":bm90LXRoZS1zaWduYXR1cmU=")
	_, err := testVerifier(now).Verify(r)
	mismatch, ok := err.(*MismatchError)
	if !ok {
		t.Fatalf("Verify with a wrong signature = %v, want a *MismatchError", err)
	}
	return mismatch.StringToSign
}
