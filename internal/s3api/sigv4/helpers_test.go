package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAccessKey = "AKIAQUARRYTEST000001"
	testSecret    = "quarry/Secret+Key=with/odd+chars"
	testRegion    = "us-east-1"
)

// signTime is when test requests are signed; verifiers run at the same time
// unless a test moves their clock.
var signTime = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// testVerifier knows one access key and runs its clock at now.
func testVerifier(now time.Time) *Verifier {
	return &Verifier{
		Region: testRegion,
		Now:    func() time.Time { return now },
		Lookup: func(_ context.Context, accessKey string) (string, error) {
			if accessKey != testAccessKey {
				return "", fmt.Errorf("access key %q: %w", accessKey, ErrInvalidAccessKeyID)
			}
			return testSecret, nil
		},
	}
}

func testCredentials(secret string) aws.Credentials {
	return aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: secret}
}

// s3Signer is the SDK signer configured as the S3 client configures it.
func s3Signer() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// objectTarget is the request target an S3 SDK sends for a path-style key:
// the key AWS-URI-encoded with '/' kept.
func objectTarget(bucket, key, rawQuery string) string {
	target := "/" + bucket + "/" + awsEscape(key)
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	return target
}

// awsEscape is written independently of uriEncode (smithy's rule: all but
// A-Za-z0-9-._~ and '/') so tests do not check the code against itself.
func awsEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~/", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// signedRequest builds a request, signs its Authorization header with the
// SDK signer, and returns it as a server would read it off the wire.
func signedRequest(t *testing.T, method, target string, body []byte, payloadHash, secret string, edit func(*http.Request)) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, "http://bucket-host.test:9000"+target, bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if payloadHash != "" {
		r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	if edit != nil {
		edit(r)
	}
	if err := s3Signer().SignHTTP(context.Background(), testCredentials(secret), r, payloadHash, "s3", testRegion, signTime); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return overTheWire(t, r)
}

// presignedRequest presigns method+target with the SDK signer and returns
// the request a client would then send.
func presignedRequest(t *testing.T, method, target string, expires time.Duration, secret string, body []byte) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, "http://bucket-host.test:9000"+target, nil)
	q := r.URL.Query()
	q.Set("X-Amz-Expires", fmt.Sprint(int64(expires/time.Second)))
	// Re-encode the way the SDK does (spaces as %20), keeping the path.
	r.URL.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	signedURL, headers, err := s3Signer().PresignHTTP(context.Background(), testCredentials(secret), r, unsignedPayload, "s3", testRegion, signTime)
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	out := httptest.NewRequest(method, signedURL, bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	for name, values := range headers {
		if !strings.EqualFold(name, "host") {
			out.Header[name] = values
		}
	}
	return overTheWire(t, out)
}

// overTheWire writes r as a client would and reads it back as net/http's
// server does, so Host, Content-Length and the raw path arrive where a real
// handler finds them.
func overTheWire(t *testing.T, r *http.Request) *http.Request {
	t.Helper()
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		t.Fatalf("write request: %v", err)
	}
	read, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	return read
}

func sha256HexOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readBody reads all of res.Body, returning what came through and the first
// error other than io.EOF.
func readBody(t *testing.T, res *Result) ([]byte, error) {
	t.Helper()
	var got bytes.Buffer
	_, err := io.Copy(&got, res.Body)
	return got.Bytes(), err
}

// authorizationSignature returns the Signature= value of a signed request.
func authorizationSignature(t *testing.T, r *http.Request) []byte {
	t.Helper()
	_, sig, ok := strings.Cut(r.Header.Get("Authorization"), "Signature=")
	if !ok {
		t.Fatalf("no signature in %q", r.Header.Get("Authorization"))
	}
	b, err := hex.DecodeString(sig)
	if err != nil {
		t.Fatalf("signature %q: %v", sig, err)
	}
	return b
}
