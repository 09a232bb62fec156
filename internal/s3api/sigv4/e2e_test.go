package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// seen is what the test server's handler observed for one request.
type seen struct {
	path        string
	payloadHash string // x-amz-content-sha256 as sent: which mode the SDK chose
	bodySHA256  string
	trailer     map[string]string
	err         error
}

// verifyingServer is an S3 endpoint that only authenticates: its handler runs
// Verify, reads the decoded body and records what it saw.
type verifyingServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seen
}

func newVerifyingServer(t *testing.T, useTLS bool) *verifyingServer {
	s := &verifyingServer{}
	verifier := testVerifier(time.Time{})
	verifier.Now = time.Now // the SDK signs with the real clock
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := seen{path: r.URL.Path, payloadHash: r.Header.Get("X-Amz-Content-Sha256")}
		res, err := verifier.Verify(r)
		if err == nil {
			var body []byte
			body, err = io.ReadAll(res.Body)
			got.bodySHA256 = sha256HexOf(body)
			got.trailer = res.Trailer()
		}
		got.err = err
		s.mu.Lock()
		s.seen = append(s.seen, got)
		s.mu.Unlock()
		if err != nil {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>"+err.Error()+"</Message></Error>")
			return
		}
		w.Header().Set("ETag", `"`+got.bodySHA256[:32]+`"`)
		w.Header().Set("X-Body-Sha256", got.bodySHA256)
	})
	if useTLS {
		s.Server = httptest.NewTLSServer(handler)
	} else {
		s.Server = httptest.NewServer(handler)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *verifyingServer) last(t *testing.T) seen {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		t.Fatal("the server saw no request")
	}
	return s.seen[len(s.seen)-1]
}

func (s *verifyingServer) client(secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(s.URL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(testAccessKey, secret, ""),
		HTTPClient:       s.Client(),
		RetryMaxAttempts: 1,
	})
}

// hexDigest stands for "the body's SHA256" in expected payload modes.
const hexDigest = "hex SHA256"

// onlyReader hides Seek, as a body streamed from a pipe would.
type onlyReader struct{ io.Reader }

func checksumOf(h hash.Hash, b []byte) string {
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestSDKPutObjectBodiesArriveExactly(t *testing.T) {
	small := []byte("hello from the real SDK")
	// Larger than one signed chunk may be: the SDK sends it as one unsigned chunk.
	large := bytes.Repeat([]byte("quarry!"), (17<<20)/7)
	cases := []struct {
		name        string
		tls         bool
		key         string
		body        []byte
		algorithm   types.ChecksumAlgorithm
		unseekable  bool
		wantMode    string // x-amz-content-sha256; hexDigest for any SHA256
		wantTrailer map[string]string
	}{
		{name: "a default PutObject over HTTP signs the body's SHA256", key: "plain.txt", body: small, wantMode: hexDigest},
		{name: "a default PutObject over HTTPS leaves the payload unsigned", tls: true, key: "unsigned.txt", body: small, wantMode: unsignedPayload},
		{name: "a PutObject asking for SHA256 sends it as the trailer", tls: true, key: "sha.txt", body: small, algorithm: types.ChecksumAlgorithmSha256,
			wantMode: streamingUnsignedPayloadTrailer, wantTrailer: map[string]string{"x-amz-checksum-sha256": checksumOf(sha256.New(), small)}},
		{name: "a PutObject asking for CRC32C from an unseekable body", tls: true, key: "pipe.bin", body: small, algorithm: types.ChecksumAlgorithmCrc32c, unseekable: true,
			wantMode: streamingUnsignedPayloadTrailer, wantTrailer: map[string]string{"x-amz-checksum-crc32c": checksumOf(crc32.New(crc32.MakeTable(crc32.Castagnoli)), small)}},
		{name: "a PutObject asking for CRC32 streams with a CRC32 trailer", tls: true, key: "crc.txt", body: small, algorithm: types.ChecksumAlgorithmCrc32,
			wantMode: streamingUnsignedPayloadTrailer, wantTrailer: map[string]string{"x-amz-checksum-crc32": checksumOf(crc32.NewIEEE(), small)}},
		{name: "a PutObject asking for SHA1 over HTTP", key: "sha1.txt", body: small, algorithm: types.ChecksumAlgorithmSha1, wantMode: hexDigest},
		{name: "a 17 MiB PutObject streamed as one unsigned chunk", tls: true, key: "large.bin", body: large, algorithm: types.ChecksumAlgorithmCrc32,
			wantMode: streamingUnsignedPayloadTrailer, wantTrailer: map[string]string{"x-amz-checksum-crc32": checksumOf(crc32.NewIEEE(), large)}},
		{name: "an empty PutObject over HTTP", key: "empty", body: []byte{}, wantMode: hexDigest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := newVerifyingServer(t, tc.tls)
			var body io.Reader = bytes.NewReader(tc.body)
			if tc.unseekable {
				body = onlyReader{body}
			}
			_, err := server.client(testSecret).PutObject(context.Background(), &s3.PutObjectInput{
				Bucket:            aws.String("bucket"),
				Key:               aws.String(tc.key),
				Body:              body,
				ContentLength:     aws.Int64(int64(len(tc.body))),
				ChecksumAlgorithm: tc.algorithm,
			})
			got := server.last(t)
			if err != nil || got.err != nil {
				t.Fatalf("PutObject: %v; server: %v", err, got.err)
			}
			if got.bodySHA256 != sha256HexOf(tc.body) {
				t.Errorf("server decoded a body with SHA256 %s, want %s", got.bodySHA256, sha256HexOf(tc.body))
			}
			if tc.wantMode == hexDigest {
				if got.payloadHash != sha256HexOf(tc.body) {
					t.Errorf("payload mode = %q, want the body's SHA256", got.payloadHash)
				}
			} else if got.payloadHash != tc.wantMode {
				t.Errorf("payload mode = %q, want %q", got.payloadHash, tc.wantMode)
			}
			if len(got.trailer)+len(tc.wantTrailer) > 0 && !equalMaps(got.trailer, tc.wantTrailer) {
				t.Errorf("trailer = %v, want %v", got.trailer, tc.wantTrailer)
			}
		})
	}
}

func TestSDKPutObjectWithAwkwardKeys(t *testing.T) {
	server := newVerifyingServer(t, true)
	client := server.client(testSecret)
	for _, tc := range awkwardKeys {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte("key: " + tc.key)
			_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String(tc.key), Body: bytes.NewReader(body),
			})
			got := server.last(t)
			if err != nil || got.err != nil {
				t.Fatalf("PutObject: %v; server: %v", err, got.err)
			}
			if got.path != "/bucket/"+tc.key || got.bodySHA256 != sha256HexOf(body) {
				t.Errorf("server saw %q with body SHA256 %s; want %q, %s", got.path, got.bodySHA256, "/bucket/"+tc.key, sha256HexOf(body))
			}
		})
	}
}

func TestSDKRequestWithTheWrongSecretIsRefused(t *testing.T) {
	server := newVerifyingServer(t, true)
	_, err := server.client("not-the-secret").PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String("k"), Body: strings.NewReader("x"),
	})
	if err == nil {
		t.Fatal("PutObject with the wrong secret succeeded")
	}
	if got := server.last(t); !errors.Is(got.err, ErrSignatureDoesNotMatch) {
		t.Errorf("server error = %v, want ErrSignatureDoesNotMatch", got.err)
	}
}

func TestSDKPresignedPutAndGet(t *testing.T) {
	server := newVerifyingServer(t, true)
	presigner := s3.NewPresignClient(server.client(testSecret))
	body := []byte("through a presigned PUT")
	ctx := context.Background()

	put, err := presigner.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String("shared/a file+1.txt"), ContentType: aws.String("text/plain"),
	}, s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	get, err := presigner.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String("shared/a file+1.txt"), ResponseContentDisposition: aws.String(`attachment; filename="a file.txt"`),
	})
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	for _, tc := range []struct {
		name    string
		request *http.Request
		body    []byte
	}{
		{"the presigned PUT", presignedHTTPRequest(t, put.Method, put.URL, put.SignedHeader, body), body},
		{"the presigned GET", presignedHTTPRequest(t, get.Method, get.URL, get.SignedHeader, nil), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := server.Client().Do(tc.request)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			resp.Body.Close()
			got := server.last(t)
			if resp.StatusCode != http.StatusOK || got.err != nil {
				t.Fatalf("status %d, server error %v", resp.StatusCode, got.err)
			}
			if got.bodySHA256 != sha256HexOf(tc.body) {
				t.Errorf("server body SHA256 %s, want %s", got.bodySHA256, sha256HexOf(tc.body))
			}
		})
	}
}

func presignedHTTPRequest(t *testing.T, method, url string, headers http.Header, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("request for %s: %v", url, err)
	}
	for name, values := range headers {
		if !strings.EqualFold(name, "host") {
			r.Header[name] = values
		}
	}
	return r
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
