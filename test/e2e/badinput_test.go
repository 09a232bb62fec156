package e2e

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// wantClientError fails t unless the response is a 4xx (never a 5xx).
func wantClientError(t *testing.T, what string, r rawResponse) {
	t.Helper()
	if r.Status < 400 || r.Status >= 500 {
		t.Errorf("%s: got %s, want a 4xx", what, r)
	}
}

func contentMD5(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestMalformedXMLIsRefusedOnEveryXMLEndpoint(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "obj", []byte("x"))
	uploadID := createUpload(t, c, bucket, "mp")
	bad := []byte("<Not><Closed>")
	targets := []struct{ name, method, target string }{
		{"PutBucketVersioning", http.MethodPut, "/" + bucket + "?versioning"},
		{"PutBucketTagging", http.MethodPut, "/" + bucket + "?tagging"},
		{"PutObjectTagging", http.MethodPut, "/" + bucket + "/obj?tagging"},
		{"DeleteObjects", http.MethodPost, "/" + bucket + "?delete"},
		{"CompleteMultipartUpload", http.MethodPost, "/" + bucket + "/mp?uploadId=" + uploadID},
		{"CreateBucket with a configuration", http.MethodPut, "/" + bucketName(t)},
	}
	for _, tt := range targets {
		r := do(t, sharedSrv, rawRequest{Method: tt.method, Target: tt.target, Body: bad, Header: map[string]string{"Content-MD5": contentMD5(bad)}})
		wantRaw(t, tt.name+" with malformed XML", r, http.StatusBadRequest, "MalformedXML")
		// An empty body is no configuration either; it must not be a 500.
		empty := do(t, sharedSrv, rawRequest{Method: tt.method, Target: tt.target, Header: map[string]string{"Content-MD5": contentMD5(nil)}})
		if empty.Status >= 500 {
			t.Errorf("%s with an empty body: %s", tt.name, empty)
		}
	}
	// Well-formed XML of the wrong shape.
	wrong := []byte(`<VersioningConfiguration><Status>Sideways</Status></VersioningConfiguration>`)
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "?versioning", Body: wrong})
	wantRaw(t, "PutBucketVersioning with an unknown status", r, http.StatusBadRequest, "MalformedXML")
	if keys := listKeys(t, c, bucket, ""); !slices.Equal(keys, []string{"obj"}) {
		t.Errorf("after malformed requests the bucket lists %v, want [obj]", keys)
	}
}

// sendPartial writes a signed PUT of declared bytes whose body is only sent
// in part, then half-closes (halfClose) or closes the connection. It returns
// the response status if one came (0 otherwise).
func sendPartial(t *testing.T, srv *server, target string, declared int, sent []byte, halfClose bool) int {
	t.Helper()
	req, err := buildRaw(t.Context(), srv.S3URL, rawRequest{Method: http.MethodPut, Target: target, UnsignedPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", srv.S3Addr)
	if err != nil {
		t.Fatalf("dial %s: %v", srv.S3Addr, err)
	}
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\n", target, srv.S3Addr)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", declared)
	if _, err := conn.Write(append(head.Bytes(), sent...)); err != nil {
		t.Fatalf("write partial request: %v", err)
	}
	if !halfClose {
		// Let the server start reading, then vanish mid-body.
		time.Sleep(100 * time.Millisecond)
		return 0
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatalf("half-close: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0 // the server may just drop the connection
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTruncatedBodiesStoreNothing(t *testing.T) {
	t.Parallel()
	c := rootClient()
	ctx := t.Context()
	bucket := newBucket(t, c)
	old := randomBytes(1, 4096)
	putObject(t, c, bucket, "existing", old)
	before := listKeys(t, c, bucket, "")

	status := sendPartial(t, sharedSrv, "/"+bucket+"/lying", 1000, []byte("only ten!!"), true)
	if status >= 500 || (status != 0 && status < 400) {
		t.Errorf("PUT with a Content-Length longer than its body: status %d, want a 4xx or a dropped connection", status)
	}
	sendPartial(t, sharedSrv, "/"+bucket+"/cut", 4*mib, randomBytes(2, 300<<10), false)
	sendPartial(t, sharedSrv, "/"+bucket+"/existing", 4*mib, randomBytes(3, 300<<10), false)

	// The server notices the loss asynchronously; give it a moment.
	time.Sleep(500 * time.Millisecond)
	for _, key := range []string{"lying", "cut"} {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		wantErr(t, "HeadObject of an upload whose body was cut ("+key+")", err, http.StatusNotFound, "")
	}
	if got, _ := mustGet(t, c, bucket, "existing", ""); !bytes.Equal(got, old) {
		t.Errorf("a cut-off overwrite changed the existing object (%d bytes, want %d)", len(got), len(old))
	}
	if after := listKeys(t, c, bucket, ""); !slices.Equal(after, before) {
		t.Errorf("listing after cut-off uploads = %v, want %v", after, before)
	}
	vers, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	if len(vers.Versions) != 1 || len(vers.DeleteMarkers) != 0 {
		t.Errorf("ListObjectVersions after cut-off uploads: %d versions %d markers, want 1 and 0", len(vers.Versions), len(vers.DeleteMarkers))
	}
}

func TestInvalidKeysAreRefused(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	for _, tt := range []struct{ name, key string }{
		{"a NUL byte", "a%00b"},
		{"invalid UTF-8", "a%FFb"},
		{"a lone continuation byte", "%80"},
		{"a truncated UTF-8 sequence", "x%E6%97"},
	} {
		put := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/" + tt.key, Body: []byte("x")})
		wantRaw(t, "PUT of a key with "+tt.name, put, http.StatusBadRequest, "")
		get := do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/" + tt.key})
		wantClientError(t, "GET of a key with "+tt.name, get)
	}
	if keys := listKeys(t, c, bucket, ""); len(keys) != 0 {
		t.Errorf("invalid keys were stored: %q", keys)
	}
}

func TestOddRangesAndParametersNeverFailTheServer(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	putObject(t, c, bucket, "r", randomBytes(4, 100))
	get := func(rng string) rawResponse {
		return do(t, sharedSrv, rawRequest{Method: http.MethodGet, Target: "/" + bucket + "/r", Header: map[string]string{"Range": rng}})
	}
	for _, rng := range []string{"bytes=1000000000000-", "bytes=999999999999999999-999999999999999999", "bytes=9223372036854775807-", "bytes=-0"} {
		wantRaw(t, "GET with Range "+rng, get(rng), http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	}
	// Unparsable or overflowing ranges are ignored (200) or refused (416); never a 5xx.
	for _, rng := range []string{"bytes=99999999999999999999-", "bytes=0-99999999999999999999", "bytes=5-2", "bytes=abc", "items=0-5", "bytes=0-1,5-6", "bytes=--5", "bytes="} {
		r := get(rng)
		if r.Status != http.StatusOK && r.Status != http.StatusPartialContent && r.Status != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("GET with Range %q: %s, want 200, 206 or 416", rng, r)
		}
	}

	probes := []struct{ name, method, target string }{
		{"max-keys not a number", http.MethodGet, "/" + bucket + "?list-type=2&max-keys=abc"},
		{"negative max-keys", http.MethodGet, "/" + bucket + "?list-type=2&max-keys=-1"},
		{"a garbage continuation token", http.MethodGet, "/" + bucket + "?list-type=2&continuation-token=%00%01garbage"},
		{"an unknown encoding type", http.MethodGet, "/" + bucket + "?list-type=2&encoding-type=base64"},
		{"a garbage version id", http.MethodGet, "/" + bucket + "/r?versionId=..%2F..%2Fetc"},
		{"part number zero", http.MethodGet, "/" + bucket + "/r?partNumber=0"},
		{"part number beyond the object", http.MethodGet, "/" + bucket + "/r?partNumber=10001"},
		{"a part upload to an unknown upload", http.MethodPut, "/" + bucket + "/r?partNumber=1&uploadId=nope"},
		{"a part number of 0", http.MethodPut, "/" + bucket + "/r?partNumber=0&uploadId=nope"},
		{"a copy from a malformed source", http.MethodPut, "/" + bucket + "/copy"},
	}
	for _, p := range probes {
		rr := rawRequest{Method: p.method, Target: p.target}
		if p.name == "a copy from a malformed source" {
			rr.Header = map[string]string{"X-Amz-Copy-Source": "no-slash-here"}
		}
		wantClientError(t, p.name, do(t, sharedSrv, rr))
	}

	tooMany := &strings.Builder{}
	tooMany.WriteString("<Tagging><TagSet>")
	for i := range 11 {
		fmt.Fprintf(tooMany, "<Tag><Key>k%d</Key><Value>v</Value></Tag>", i)
	}
	tooMany.WriteString("</TagSet></Tagging>")
	r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/r?tagging", Body: []byte(tooMany.String())})
	// AWS answers BadRequest; InvalidTag is as good.
	if r.Status != http.StatusBadRequest || (r.Code() != "BadRequest" && r.Code() != "InvalidTag") {
		t.Errorf("PutObjectTagging with 11 tags: %s, want 400 BadRequest or InvalidTag", r)
	}
	longKey := "<Tagging><TagSet><Tag><Key>" + strings.Repeat("k", 129) + "</Key><Value>v</Value></Tag></TagSet></Tagging>"
	r = do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/r?tagging", Body: []byte(longKey)})
	wantRaw(t, "PutObjectTagging with a 129-character key", r, http.StatusBadRequest, "InvalidTag")
	bad := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: "/" + bucket + "/digest", Body: []byte("x"),
		Header: map[string]string{"Content-MD5": "not base64!"}})
	wantRaw(t, "PUT with an unparsable Content-MD5", bad, http.StatusBadRequest, "InvalidDigest")
}

func TestAnEmptyCopySourceIsInvalidArgumentAndChangesNothing(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	old := []byte("the original body")
	putObject(t, c, bucket, "existing", old)
	uploadID := createUpload(t, c, bucket, "mp")
	emptySource := map[string]string{"X-Amz-Copy-Source": ""}
	for _, tt := range []struct{ name, target string }{
		{"PUT over an existing object", "/" + bucket + "/existing"},
		{"PUT of a new key", "/" + bucket + "/fresh"},
		{"PUT of a part", "/" + bucket + "/mp?partNumber=1&uploadId=" + uploadID},
	} {
		r := do(t, sharedSrv, rawRequest{Method: http.MethodPut, Target: tt.target, Body: []byte("a body that must not be stored"), Header: emptySource})
		wantRaw(t, tt.name+" with an empty x-amz-copy-source", r, http.StatusBadRequest, "InvalidArgument")
	}
	if got, _ := mustGet(t, c, bucket, "existing", ""); !bytes.Equal(got, old) {
		t.Errorf("the existing object became %q, want %q", got, old)
	}
	if keys := listKeys(t, c, bucket, ""); !slices.Equal(keys, []string{"existing"}) {
		t.Errorf("the bucket lists %v, want [existing]", keys)
	}
	parts, err := c.ListParts(t.Context(), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("mp"), UploadId: aws.String(uploadID)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(parts.Parts) != 0 {
		t.Errorf("the upload has %d parts, want none", len(parts.Parts))
	}
}
