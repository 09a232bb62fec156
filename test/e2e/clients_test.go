package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// s3Client is an SDK client on its default settings (checksums, retries,
// streaming uploads), path-style, against endpoint. The checksum settings
// are spelled out because s3.New, unlike config.LoadDefaultConfig, leaves
// them unset, which sends no checksums at all.
func s3Client(endpoint, ak, sk string, optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:                     testRegion,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(ak, sk, ""),
		HTTPClient:                 insecureHTTPClient(),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, optFns...)
}

// rootClient is a root-credentials client of the shared server.
func rootClient() *s3.Client {
	return s3Client(sharedSrv.S3URL, sharedSrv.AccessKey, sharedSrv.SecretKey)
}

var bucketSeq atomic.Int64

var nonBucketChars = regexp.MustCompile(`[^a-z0-9-]+`)

// bucketName is a valid bucket name unique to this run, derived from the
// test's name so that server logs are easy to follow.
func bucketName(t *testing.T) string {
	base := nonBucketChars.ReplaceAllString(strings.ToLower(t.Name()), "-")
	base = strings.Trim(base, "-")
	if len(base) > 40 {
		base = strings.Trim(base[len(base)-40:], "-")
	}
	return fmt.Sprintf("%s-%d", base, bucketSeq.Add(1))
}

// newBucket creates a fresh bucket on the shared server with c.
func newBucket(t *testing.T, c *s3.Client) string {
	t.Helper()
	name := bucketName(t)
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

// putObject stores body at bucket/key and fails t on error.
func putObject(t *testing.T, c *s3.Client, bucket, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

// getBody reads bucket/key (optionally a version) completely.
func getBody(ctx context.Context, c *s3.Client, bucket, key, versionID string) ([]byte, *s3.GetObjectOutput, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, out, fmt.Errorf("read body of %s/%s: %w", bucket, key, err)
	}
	return b, out, nil
}

// mustGet is getBody that fails t on error.
func mustGet(t *testing.T, c *s3.Client, bucket, key, versionID string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	b, out, err := getBody(t.Context(), c, bucket, key, versionID)
	if err != nil {
		t.Fatalf("GetObject %s/%s version %q: %v", bucket, key, versionID, err)
	}
	return b, out
}

// errCode is the S3 error code of err ("" when it carries none).
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// errStatus is the HTTP status of the response that produced err (0 if none).
func errStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// errHeader is a header of the response that produced err.
func errHeader(err error, name string) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// wantErr fails t unless err is an S3 error with that status and code (an
// empty code checks the status only, as for HEAD responses).
func wantErr(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %d %s", what, status, code)
		return
	}
	gotStatus, gotCode := errStatus(err), errCode(err)
	if gotStatus != status || (code != "" && gotCode != code) {
		t.Errorf("%s: got %d %q, want %d %q (err: %v)", what, gotStatus, gotCode, status, code, err)
	}
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// quoted is an ETag as S3 sends it.
func quoted(s string) string { return `"` + s + `"` }

// randomBytes returns n deterministic pseudo-random bytes for seed.
func randomBytes(seed uint64, n int) []byte {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	r := rand.NewChaCha8(key)
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}

// rawRequest is a hand-built S3 request, signed with the SDK's SigV4 signer
// unless anonymous.
type rawRequest struct {
	Method string
	// Target is the path and query, sent as is (escape it yourself).
	Target string
	Body   []byte
	Header map[string]string
	// Host overrides the Host header (virtual-host-style requests).
	Host string
	// SignTime defaults to now.
	SignTime time.Time
	// UnsignedPayload signs with UNSIGNED-PAYLOAD instead of the body hash.
	UnsignedPayload bool
	Anonymous       bool
	AccessKey       string // root's when empty
	SecretKey       string
}

// rawResponse is a response read completely.
type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// Code is the <Code> of an S3 XML error body.
func (r rawResponse) Code() string {
	var e struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal(r.Body, &e)
	return e.Code
}

func (r rawResponse) String() string {
	return fmt.Sprintf("%d %s", r.Status, tail(string(r.Body), 400))
}

// buildRaw builds and signs the request for the server at endpoint.
func buildRaw(ctx context.Context, endpoint string, rr rawRequest) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, rr.Method, endpoint+rr.Target, bytes.NewReader(rr.Body))
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", rr.Method, rr.Target, err)
	}
	if rr.Body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	if rr.Host != "" {
		req.Host = rr.Host
	}
	for k, v := range rr.Header {
		req.Header.Set(k, v)
	}
	if rr.Anonymous {
		return req, nil
	}
	payloadHash := sha256Hex(rr.Body)
	if rr.UnsignedPayload {
		payloadHash = "UNSIGNED-PAYLOAD"
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	ak, sk := rr.AccessKey, rr.SecretKey
	if ak == "" {
		ak, sk = rootAccessKey, rootSecretKey
	}
	when := rr.SignTime
	if when.IsZero() {
		when = time.Now()
	}
	creds := aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}
	err = v4.NewSigner().SignHTTP(ctx, creds, req, payloadHash, "s3", testRegion, when,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		return nil, fmt.Errorf("sign %s %s: %w", rr.Method, rr.Target, err)
	}
	return req, nil
}

// do sends rr to the S3 endpoint of srv and reads the whole response.
func do(t *testing.T, srv *server, rr rawRequest) rawResponse {
	t.Helper()
	req, err := buildRaw(t.Context(), srv.S3URL, rr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := insecureHTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rr.Method, rr.Target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", rr.Method, rr.Target, err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// wantRaw fails t unless the response has that status and (if given) code,
// and checks that every response carries x-amz-request-id.
func wantRaw(t *testing.T, what string, r rawResponse, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.Code() != code) {
		t.Errorf("%s: got %s, want %d %s", what, r, status, code)
	}
	if r.Header.Get("X-Amz-Request-Id") == "" {
		t.Errorf("%s: response has no x-amz-request-id", what)
	}
}
