package s3api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/blob/disk"
	"github.com/quarrylabs/quarry/internal/cors"
	"github.com/quarrylabs/quarry/internal/lifecycle"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/replication"
	"github.com/quarrylabs/quarry/internal/sse"
	"github.com/quarrylabs/quarry/internal/storetest"
)

// testMinPartSize keeps multipart tests small.
const testMinPartSize = 1 << 10

// testDomain is the virtual-host domain of the test server.
const testDomain = "s3.quarry.test"

// testUser is a user with S3 credentials.
type testUser struct {
	principal auth.Principal
	accessKey string
	secretKey string
}

// testServer is a Handler over real SQLite and disk stores, served over
// HTTP.
type testServer struct {
	t       *testing.T
	srv     *httptest.Server
	objects *object.Service
	blobs   *disk.Store
	// repl is the replication control plane the handler and the object
	// service use, as the server wires them.
	repl  *replication.Service
	alice testUser
	bob   testUser

	mu       sync.Mutex
	observed []observation
}

type observation struct {
	op     string
	status int
}

func newTestServer(t *testing.T, opts ...func(*Config)) *testServer {
	t.Helper()
	store, blobs := storetest.Open(t)
	sealer := storetest.Sealer(t)
	users := auth.NewService(store, sealer)
	ts := &testServer{t: t, blobs: blobs}
	ts.repl = replication.NewService(replication.ServiceConfig{Meta: store, Sealer: sealer})
	keys := sse.NewKeyring(store, sealer)
	if err := keys.EnsureKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts.objects = object.New(object.Config{Meta: store, Blobs: blobs, MinPartSize: testMinPartSize, Replication: ts.repl, Keys: keys})
	ts.alice = createTestUser(t, users, "alice")
	ts.bob = createTestUser(t, users, "bob")
	cfg := Config{
		Objects:     ts.objects,
		Creds:       users,
		Region:      "us-east-1",
		Domain:      testDomain,
		Replication: ts.repl,
		Lifecycle:   lifecycle.NewService(store),
		CORS:        cors.NewService(store),
		Observe: func(op string, status int, _ time.Duration) {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			ts.observed = append(ts.observed, observation{op, status})
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	ts.srv = httptest.NewServer(New(cfg))
	t.Cleanup(ts.srv.Close)
	return ts
}

func createTestUser(t *testing.T, users *auth.Service, name string) testUser {
	t.Helper()
	ctx := context.Background()
	u, err := users.CreateUser(ctx, name, "password-"+name+"-123", meta.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	ak, sk, err := users.CreateAccessKey(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return testUser{principal: auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role}, accessKey: ak, secretKey: sk}
}

// client returns an SDK client for u, path style, without retries so
// that errors surface at once.
func (ts *testServer) client(u testUser) *s3.Client {
	return ts.clientWith(u.accessKey, u.secretKey)
}

func (ts *testServer) clientWith(accessKey, secretKey string, opts ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(ts.srv.URL),
		UsePathStyle: true,
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		Retryer:      aws.NopRetryer{},
	}, opts...)
}

// virtualHostClient sends bucket requests to <bucket>.s3.quarry.test,
// dialling the test server whatever the host name.
func (ts *testServer) virtualHostClient(u testUser) *s3.Client {
	addr := ts.srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	return ts.clientWith(u.accessKey, u.secretKey, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + testDomain + ":" + port)
		o.UsePathStyle = false
		o.HTTPClient = &http.Client{Transport: transport}
	})
}

// observedOps returns the operations Observe saw, in order.
func (ts *testServer) observedOps() []observation {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]observation(nil), ts.observed...)
}

// signedRequest builds a raw request signed by u with the SDK signer, for
// what the SDK itself refuses to send. The payload hash covers body.
func (ts *testServer) signedRequest(u testUser, method, path string, body []byte) *http.Request {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	ts.sign(u, req, hex.EncodeToString(sum[:]))
	return req
}

// sign signs req with payload hash (hex or UNSIGNED-PAYLOAD).
func (ts *testServer) sign(u testUser, req *http.Request, payloadHash string) {
	ts.t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := aws.Credentials{AccessKeyID: u.accessKey, SecretAccessKey: u.secretKey}
	err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).
		SignHTTP(context.Background(), creds, req, payloadHash, "s3", "us-east-1", time.Now())
	if err != nil {
		ts.t.Fatal(err)
	}
}

// do sends a raw request and returns the status and body.
func (ts *testServer) do(req *http.Request) (int, http.Header, string) {
	ts.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// mustCreateBucket creates a bucket for u.
func (ts *testServer) mustCreateBucket(u testUser, name string) {
	ts.t.Helper()
	if _, err := ts.client(u).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		ts.t.Fatalf("create bucket %s: %v", name, err)
	}
}

// mustPut stores an object for u.
func (ts *testServer) mustPut(u testUser, bucket, key, body string) *s3.PutObjectOutput {
	ts.t.Helper()
	out, err := ts.client(u).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body),
	})
	if err != nil {
		ts.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return out
}

// mustGet reads an object for u.
func (ts *testServer) mustGet(u testUser, bucket, key string) string {
	ts.t.Helper()
	out, err := ts.client(u).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		ts.t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return string(data)
}

// assertMissing checks that a key does not exist in an existing bucket.
func (ts *testServer) assertMissing(bucket, key string) {
	ts.t.Helper()
	_, err := ts.client(ts.alice).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if code := sdkCode(err); code != "NoSuchKey" {
		ts.t.Errorf("get %s/%s: %v, want NoSuchKey", bucket, key, err)
	}
}

// sdkCode returns the S3 error code of an SDK error.
func sdkCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus returns the HTTP status of an SDK error (0 if none).
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// wantCode fails unless err carries the S3 code and status.
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s %d", code, status)
	}
	if got := sdkCode(err); got != code {
		t.Errorf("error code %q (%v), want %s", got, err, code)
	}
	if got := httpStatus(err); got != status {
		t.Errorf("status %d, want %d", got, status)
	}
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
