package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) are what
// minio-go, mc and older SDKs send over plain HTTP; the Go SDK never does, so
// the chunks are signed here by hand on top of the SDK's seed signature.

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signedChunkedPut builds a PUT whose body is data in aws-chunked chunks of
// chunkSize, each signed; tamper, when set, changes the body after signing.
func signedChunkedPut(t *testing.T, srv *server, target string, data []byte, chunkSize int, tamper func([]byte)) *http.Request {
	t.Helper()
	return signedChunkedPutEncoded(t, srv, target, data, chunkSize, "aws-chunked", tamper)
}

// signedChunkedPutEncoded is signedChunkedPut with the Content-Encoding
// given, which must name aws-chunked among the object's own codings.
func signedChunkedPutEncoded(t *testing.T, srv *server, target string, data []byte, chunkSize int, contentEncoding string, tamper func([]byte)) *http.Request {
	t.Helper()
	now := time.Now().UTC()
	var chunks [][]byte
	for off := 0; off < len(data); off += chunkSize {
		chunks = append(chunks, data[off:min(off+chunkSize, len(data))])
	}
	chunks = append(chunks, nil) // the final, empty chunk
	const sigLen = 64
	encodedLen := 0
	for _, ch := range chunks {
		encodedLen += len(strconv.FormatInt(int64(len(ch)), 16)) + len(";chunk-signature=") + sigLen + 2 + len(ch) + 2
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, srv.S3URL+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	const streaming = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	req.ContentLength = int64(encodedLen)
	req.Header.Set("Content-Encoding", contentEncoding)
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
	req.Header.Set("X-Amz-Content-Sha256", streaming)
	creds := aws.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, streaming, "s3", testRegion, now,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	prev := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]

	date := now.Format("20060102")
	scope := date + "/" + testRegion + "/s3/aws4_request"
	key := hmacSHA256([]byte("AWS4"+srv.SecretKey), date)
	key = hmacSHA256(key, testRegion)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	emptyHash := sha256Hex(nil)
	var body bytes.Buffer
	for _, ch := range chunks {
		toSign := strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", now.Format("20060102T150405Z"), scope, prev, emptyHash, sha256Hex(ch)}, "\n")
		sig := hex.EncodeToString(hmacSHA256(key, toSign))
		fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(ch), sig)
		body.Write(ch)
		body.WriteString("\r\n")
		prev = sig
	}
	if body.Len() != encodedLen {
		t.Fatalf("encoded body is %d bytes, computed %d", body.Len(), encodedLen)
	}
	raw := body.Bytes()
	if tamper != nil {
		tamper(raw)
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	return req
}

func TestSignedChunkedUploads(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	data := randomBytes(21, 200<<10+17)

	resp, err := http.DefaultClient.Do(signedChunkedPut(t, sharedSrv, "/"+bucket+"/chunked", data, 64<<10, nil))
	if err != nil {
		t.Fatalf("signed chunked PUT: %v", err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed chunked PUT: %d %s", resp.StatusCode, msg)
	}
	if got := resp.Header.Get("ETag"); got != quoted(md5Hex(data)) {
		t.Errorf("signed chunked PUT ETag = %s, want %s (MD5 of the decoded data)", got, quoted(md5Hex(data)))
	}
	if got, _ := mustGet(t, c, bucket, "chunked", ""); !bytes.Equal(got, data) {
		t.Errorf("signed chunked upload reads back %d bytes, want %d equal bytes", len(got), len(data))
	}

	// One byte changed in the second chunk's data: its signature no longer matches.
	tamper := func(b []byte) { b[len(b)/2] ^= 0xff }
	resp, err = http.DefaultClient.Do(signedChunkedPut(t, sharedSrv, "/"+bucket+"/tampered", data, 64<<10, tamper))
	if err != nil {
		t.Fatalf("tampered chunked PUT: %v", err)
	}
	msg, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !bytes.Contains(msg, []byte("SignatureDoesNotMatch")) {
		t.Errorf("tampered chunked PUT: %d %s, want 403 SignatureDoesNotMatch", resp.StatusCode, msg)
	}
	_, err = c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("tampered")})
	wantErr(t, "HeadObject of a tampered chunked upload", err, http.StatusNotFound, "")
}
