package e2e

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// wireHeaders sends rr to srv over a plain connection and returns the
// response's status line and header lines exactly as they came over the
// wire (Go's client would canonicalise the names).
func wireHeaders(t *testing.T, srv *server, rr rawRequest) (status string, lines []string) {
	t.Helper()
	req, err := buildRaw(t.Context(), srv.S3URL, rr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.S3Addr)
	if err != nil {
		t.Fatalf("dial %s: %v", srv.S3Addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req.Close = true
	if err := req.Write(conn); err != nil {
		t.Fatalf("write %s %s: %v", rr.Method, rr.Target, err)
	}
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read the response head of %s %s: %v", rr.Method, rr.Target, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return status, lines
		}
		if status == "" {
			status = line
			continue
		}
		lines = append(lines, line)
	}
}

// wireHeader finds the header line named name (compared case-insensitively)
// and returns the name as sent and the value.
func wireHeader(lines []string, name string) (sentName, value string, ok bool) {
	for _, l := range lines {
		n, v, found := strings.Cut(l, ":")
		if found && strings.EqualFold(n, name) {
			return n, strings.TrimLeft(v, " \t"), true
		}
	}
	return "", "", false
}

func TestUserMetadataNamesComeBackLowerCase(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	md := map[string]string{"foo": "bar", "mixed-name": "Value"}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("put"), Body: strings.NewReader("x"), Metadata: md}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"), CopySource: aws.String(bucket + "/put")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("replaced"), CopySource: aws.String(bucket + "/put"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: md}); err != nil {
		t.Fatalf("CopyObject REPLACE: %v", err)
	}
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("multipart"), Metadata: md})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	part := uploadPart(t, c, bucket, "multipart", aws.ToString(mp.UploadId), 1, []byte("x"))
	if _, err := complete(t, c, bucket, "multipart", aws.ToString(mp.UploadId), []types.CompletedPart{part}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}

	for _, key := range []string{"put", "copy", "replaced", "multipart"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			status, lines := wireHeaders(t, sharedSrv, rawRequest{Method: method, Target: "/" + bucket + "/" + key})
			if !strings.Contains(status, " 200 ") {
				t.Fatalf("%s %s: %s", method, key, status)
			}
			for name, value := range md {
				sent, got, ok := wireHeader(lines, "x-amz-meta-"+name)
				if !ok || sent != "x-amz-meta-"+name || got != value {
					t.Errorf("%s %s sent %q: %q, want x-amz-meta-%s: %q", method, key, sent, got, name, value)
				}
			}
		}
	}

	// boto3 keeps metadata names as they come: code reading
	// Metadata['foo'] must find it.
	if exec.Command("python3", "-c", "import boto3").Run() != nil {
		t.Log("boto3 is not installed; skipping its check")
		return
	}
	script := `
import sys, boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
    region_name=sys.argv[4], config=Config(s3={"addressing_style": "path"}))
for key in ("put", "copy", "replaced", "multipart"):
    for md in (s3.head_object(Bucket=sys.argv[5], Key=key)["Metadata"], s3.get_object(Bucket=sys.argv[5], Key=key)["Metadata"]):
        if md != {"foo": "bar", "mixed-name": "Value"}:
            print(key, md)
            sys.exit(1)
`
	out, err := exec.CommandContext(ctx, "python3", "-c", script, sharedSrv.S3URL, rootAccessKey, rootSecretKey, testRegion, bucket).CombinedOutput()
	if err != nil {
		t.Errorf("boto3 sees other metadata: %v\n%s", err, out)
	}
}

func TestStoredHeadersComeBackExactlyAsSent(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	sent := map[string]string{
		"Content-Type":        "text/plain;charset=UTF-8",
		"Cache-Control":       "no-cache,  max-age=0",
		"Content-Disposition": `attachment;filename="a b.txt"`,
		"Content-Encoding":    "gzip, br",
		"Content-Language":    "en-US,fr",
		"Expires":             "Thu, 1 Dec 1994 16:00:00 +0000",
	}
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/doc", Body: []byte("body"), Header: sent})
	wantRaw(t, "PUT with stored headers", r, http.StatusOK, "")
	r = do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/copy", Header: map[string]string{"X-Amz-Copy-Source": "/" + bucket + "/doc"}})
	wantRaw(t, "CopyObject", r, http.StatusOK, "")
	r = do(t, sharedSrv, rawRequest{Method: http.MethodPost, Target: "/" + bucket + "/mp?uploads", Header: sent})
	wantRaw(t, "CreateMultipartUpload with stored headers", r, http.StatusOK, "")
	id := between(string(r.Body), "<UploadId>", "</UploadId>")
	part := uploadPart(t, c, bucket, "mp", id, 1, []byte("body"))
	if _, err := complete(t, c, bucket, "mp", id, []types.CompletedPart{part}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}

	for _, key := range []string{"doc", "copy", "mp"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			_, lines := wireHeaders(t, sharedSrv, rawRequest{Method: method, Target: "/" + bucket + "/" + key})
			for name, want := range sent {
				if _, got, _ := wireHeader(lines, name); got != want {
					t.Errorf("%s %s: %s %q, want %q as sent", method, key, name, got, want)
				}
			}
		}
	}

	// aws-chunked describes the upload's body, not the object: it goes,
	// the object's own codings stay as written.
	for i, tt := range []struct{ sent, stored string }{
		{"aws-chunked", ""},
		{"aws-chunked,gzip", "gzip"},
		{"gzip, aws-chunked", "gzip"},
		{"br, aws-chunked, gzip", "br, gzip"},
	} {
		key := "chunked-" + string(rune('a'+i))
		resp, err := http.DefaultClient.Do(signedChunkedPutEncoded(t, sharedSrv, "/"+bucket+"/"+key, []byte("chunked body"), 5, tt.sent, nil))
		if err != nil {
			t.Fatalf("chunked PUT with Content-Encoding %q: %v", tt.sent, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("chunked PUT with Content-Encoding %q: %d", tt.sent, resp.StatusCode)
		}
		_, lines := wireHeaders(t, sharedSrv, rawRequest{Method: http.MethodHead, Target: "/" + bucket + "/" + key})
		_, got, ok := wireHeader(lines, "Content-Encoding")
		if got != tt.stored || ok != (tt.stored != "") {
			t.Errorf("sent Content-Encoding %q: stored %q (present %v), want %q", tt.sent, got, ok, tt.stored)
		}
		if body, _ := mustGet(t, c, bucket, key, ""); !bytes.Equal(body, []byte("chunked body")) {
			t.Errorf("chunked upload %s reads back %q", key, body)
		}
	}
}

// between is the text of s between the first start and the next end.
func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}
