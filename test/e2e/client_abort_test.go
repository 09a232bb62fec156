package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// sendAndReset writes a signed PUT that declares declared body bytes,
// sends only sent of them, waits for the server to be reading, then resets
// the connection (SO_LINGER 0, so the close sends RST, as a killed client
// or a crashing proxy does).
func sendAndReset(t *testing.T, srv *server, target string, declared int, sent []byte) {
	t.Helper()
	req, err := buildRaw(t.Context(), srv.S3URL, rawRequest{Method: http.MethodPut, Target: target, UnsignedPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.S3Addr)
	if err != nil {
		t.Fatalf("dial %s: %v", srv.S3Addr, err)
	}
	tcp := conn.(*net.TCPConn)
	var head bytes.Buffer
	fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\n", target, srv.S3Addr)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", declared)
	if _, err := tcp.Write(append(head.Bytes(), sent...)); err != nil {
		t.Fatalf("write partial request: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := tcp.SetLinger(0); err != nil {
		t.Fatalf("SetLinger(0): %v", err)
	}
	if err := tcp.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestClientAbortIsCountedAs499AndStoresNothing(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	ctx := t.Context()
	bucket := bucketName(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	uploadID := createUpload(t, c, bucket, "mp")

	sendAndReset(t, srv, "/"+bucket+"/cut", 8*mib, randomBytes(5, 512<<10))
	sendAndReset(t, srv, "/"+bucket+"/mp?partNumber=1&uploadId="+uploadID, 8*mib, randomBytes(6, 512<<10))

	// The server sees the reset on its next read; wait for it to count both.
	var m map[string]float64
	deadline := time.Now().Add(15 * time.Second)
	for {
		m = scrape(t, srv)
		put, _ := sumOf(m, "quarry_s3_requests_total", `operation="PutObject"`, `status="499"`)
		part, _ := sumOf(m, "quarry_s3_requests_total", `operation="UploadPart"`, `status="499"`)
		if put == 1 && part == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 15s the aborted PutObject and UploadPart counted %v and %v under status 499, want 1 each", put, part)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, ok := sumOf(m, "quarry_s3_requests_total", `status="500"`); ok {
		t.Errorf("quarry_s3_requests_total counts %v requests under status 500, want none", n)
	}

	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("cut")})
	wantErr(t, "HeadObject of the aborted upload", err, http.StatusNotFound, "")
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: aws.String(uploadID)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(parts.Parts) != 0 {
		t.Errorf("the aborted part upload left %d parts, want none", len(parts.Parts))
	}

	logs := srv.Output()
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("the server logged an error for a client abort: %s", line)
		}
	}
	if !strings.Contains(logs, "aborted by the client") {
		t.Errorf("the server log does not mention the client abort:\n%s", tail(logs, 4000))
	}
}
