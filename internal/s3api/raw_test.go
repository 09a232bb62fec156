package s3api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestMalformedXMLChangesNothing(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.client(ts.alice)
	ts.mustCreateBucket(ts.alice, "bkt")
	ts.mustPut(ts.alice, "bkt", "k", "data")
	id := startUpload(t, c, "bkt", "mp")
	uploadPart(t, c, "bkt", "mp", id, 1, []byte("part"))

	bodies := map[string]string{
		"broken":        "<Tagging><TagSet><Tag>",
		"not XML":       "hello",
		"wrong element": "<Other/>",
	}
	endpoints := []struct{ method, path string }{
		{http.MethodPut, "/bkt?versioning"},
		{http.MethodPut, "/bkt?tagging"},
		{http.MethodPut, "/bkt/k?tagging"},
		{http.MethodPost, "/bkt/mp?uploadId=" + id},
		{http.MethodPost, "/bkt?delete"},
		{http.MethodPut, "/newbucket"},
	}
	for _, ep := range endpoints {
		for name, body := range bodies {
			t.Run(ep.method+" "+ep.path+" "+name, func(t *testing.T) {
				status, _, resp := ts.do(ts.signedRequest(ts.alice, ep.method, ep.path, []byte(body)))
				if status != http.StatusBadRequest || !strings.Contains(resp, "<Code>MalformedXML</Code>") {
					t.Errorf("%d %s, want 400 MalformedXML", status, resp)
				}
			})
		}
	}
	invalid := []struct{ name, method, path, body string }{
		{"a bad versioning status", http.MethodPut, "/bkt?versioning", `<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>`},
		{"no parts", http.MethodPost, "/bkt/mp?uploadId=" + id, `<CompleteMultipartUpload></CompleteMultipartUpload>`},
		{"no objects", http.MethodPost, "/bkt?delete", `<Delete></Delete>`},
		{"no tag set", http.MethodPut, "/bkt?tagging", `<Tagging></Tagging>`},
	}
	for _, tt := range invalid {
		status, _, resp := ts.do(ts.signedRequest(ts.alice, tt.method, tt.path, []byte(tt.body)))
		if status != http.StatusBadRequest || !strings.Contains(resp, "<Code>MalformedXML</Code>") {
			t.Errorf("%s: %d %s, want 400 MalformedXML", tt.name, status, resp)
		}
	}

	if v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("bkt")}); err != nil || v.Status != "" {
		t.Errorf("versioning changed to %q (%v)", v.Status, err)
	}
	_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("bkt")})
	wantCode(t, err, "NoSuchTagSet", http.StatusNotFound)
	if got := ts.mustGet(ts.alice, "bkt", "k"); got != "data" {
		t.Errorf("object changed to %q", got)
	}
	if parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("bkt"), Key: aws.String("mp"), UploadId: aws.String(id)}); err != nil || len(parts.Parts) != 1 {
		t.Errorf("upload changed: %+v (%v)", parts, err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("newbucket")}); httpStatus(err) != http.StatusNotFound {
		t.Errorf("bucket with malformed configuration was created (%v)", err)
	}
}

func TestXMLBodyDigestIsChecked(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "bkt")
	req := ts.signedRequest(ts.alice, http.MethodPut, "/bkt?versioning", []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`))
	req.Header.Set("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==") // MD5 of the empty string
	status, _, body := ts.do(req)
	if status != http.StatusBadRequest || !strings.Contains(body, "BadDigest") {
		t.Errorf("%d %s, want BadDigest", status, body)
	}
}

func TestPutWithoutContentLength(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "bkt")
	// A body of unknown length makes Go send Transfer-Encoding: chunked.
	req, err := http.NewRequest(http.MethodPut, ts.srv.URL+"/bkt/k", io.NopCloser(strings.NewReader("data")))
	if err != nil {
		t.Fatal(err)
	}
	ts.sign(ts.alice, req, "UNSIGNED-PAYLOAD")
	status, _, body := ts.do(req)
	if status != http.StatusLengthRequired || !strings.Contains(body, "MissingContentLength") {
		t.Errorf("%d %s, want 411 MissingContentLength", status, body)
	}
	ts.assertMissing("bkt", "k")
}

func TestPutWithShortContentLengthFailsThePayloadHash(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "bkt")
	full := []byte("hello world")
	sum := sha256.Sum256(full)
	conn := ts.dial()
	defer conn.Close()
	req := ts.rawPut(conn, "/bkt/short", 5, hex.EncodeToString(sum[:]))
	_, _ = conn.Write(full)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "XAmzContentSHA256Mismatch") {
		t.Errorf("%d %s, want 400 XAmzContentSHA256Mismatch", resp.StatusCode, body)
	}
	ts.assertMissing("bkt", "short")
}

func TestBodyCutOffLeavesNoObject(t *testing.T) {
	tests := []struct {
		name        string
		payloadHash string
	}{
		{"with an unsigned payload", "UNSIGNED-PAYLOAD"},
		{"with a signed payload", strings.Repeat("ab", 32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			ts.mustCreateBucket(ts.alice, "bkt")
			conn := ts.dial()
			ts.rawPut(conn, "/bkt/cut", 1<<20, tt.payloadHash)
			_, _ = conn.Write(bytes.Repeat([]byte("x"), 300<<10))
			conn.Close()
			if o := ts.waitObserved(t, opPutObject); o.status != http.StatusBadRequest {
				t.Errorf("cut-off PUT answered %d, want 400", o.status)
			}
			ts.assertMissing("bkt", "cut")
		})
	}
}

func TestLyingContentLengthLeavesNoObject(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "bkt")
	conn := ts.dial()
	defer conn.Close()
	req := ts.rawPut(conn, "/bkt/lie", 100, "UNSIGNED-PAYLOAD")
	_, _ = conn.Write([]byte("only ten.."))
	_ = conn.(*net.TCPConn).CloseWrite()
	if resp, err := http.ReadResponse(bufio.NewReader(conn), req); err == nil && resp.StatusCode == http.StatusOK {
		t.Errorf("short body accepted with %d", resp.StatusCode)
	}
	if o := ts.waitObserved(t, opPutObject); o.status != http.StatusBadRequest {
		t.Errorf("short-bodied PUT answered %d, want 400", o.status)
	}
	ts.assertMissing("bkt", "lie")
}

func TestAConnectionResetMidBodyIsAClientAbort(t *testing.T) {
	tests := []struct {
		name        string
		payloadHash string
	}{
		{"with an unsigned payload", "UNSIGNED-PAYLOAD"},
		{"with a signed payload", strings.Repeat("ab", 32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			ts.mustCreateBucket(ts.alice, "bkt")
			conn := ts.dial()
			ts.rawPut(conn, "/bkt/reset", 4<<20, tt.payloadHash)
			_, _ = conn.Write(bytes.Repeat([]byte("x"), 300<<10))
			time.Sleep(50 * time.Millisecond) // let the handler start reading
			_ = conn.(*net.TCPConn).SetLinger(0)
			conn.Close() // sends RST
			if o := ts.waitObserved(t, opPutObject); o.status != StatusClientClosedRequest {
				t.Errorf("a PUT whose connection was reset was observed as %d, want %d", o.status, StatusClientClosedRequest)
			}
			ts.assertMissing("bkt", "reset")
		})
	}
}

// dial opens a raw connection to the test server.
func (ts *testServer) dial() net.Conn {
	ts.t.Helper()
	conn, err := net.Dial("tcp", ts.srv.Listener.Addr().String())
	if err != nil {
		ts.t.Fatal(err)
	}
	return conn
}

// rawPut writes the signed headers of a PUT declaring contentLength bytes;
// the caller writes (some of) the body.
func (ts *testServer) rawPut(conn net.Conn, path string, contentLength int64, payloadHash string) *http.Request {
	ts.t.Helper()
	req, err := http.NewRequest(http.MethodPut, ts.srv.URL+path, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	req.ContentLength = contentLength
	ts.sign(ts.alice, req, payloadHash)
	var head bytes.Buffer
	head.WriteString("PUT " + req.URL.RequestURI() + " HTTP/1.1\r\n")
	head.WriteString("Host: " + req.Host + "\r\n")
	head.WriteString("Content-Length: " + strconv.FormatInt(contentLength, 10) + "\r\n")
	for name, values := range req.Header {
		for _, v := range values {
			head.WriteString(name + ": " + v + "\r\n")
		}
	}
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		ts.t.Fatal(err)
	}
	return req
}

// waitObserved waits until the handler finished an operation: the test
// signal that a request whose client went away is over.
func (ts *testServer) waitObserved(t *testing.T, op string) observation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, o := range ts.observedOps() {
			if o.op == op {
				return o
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never finished", op)
	return observation{}
}

func TestVirtualHostStyle(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := ts.virtualHostClient(ts.alice)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vhost")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vhost"), Key: aws.String("a/b c.txt"), Body: strings.NewReader("virtual")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("vhost")})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a/b c.txt" {
		t.Fatalf("list: %+v (%v)", out, err)
	}
	// Path style sees the same bucket.
	if got := ts.mustGet(ts.alice, "vhost", "a/b c.txt"); got != "virtual" {
		t.Errorf("path-style read %q", got)
	}
	enableVersioning(t, c, "vhost", types.BucketVersioningStatusEnabled)
}

func TestObserveSeesEveryRequest(t *testing.T) {
	ts := newTestServer(t)
	ts.mustCreateBucket(ts.alice, "bkt")
	ts.mustPut(ts.alice, "bkt", "k", "v")
	_, err := ts.client(ts.alice).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("missing")})
	if err == nil {
		t.Fatal("get missing succeeded")
	}
	got := ts.observedOps()
	want := []observation{{opCreateBucket, 200}, {opPutObject, 200}, {opGetObject, 404}}
	if len(got) != len(want) {
		t.Fatalf("observed %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("observation %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
