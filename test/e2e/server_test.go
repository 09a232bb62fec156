package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestGracefulStopExitsZeroAndKeepsData(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("durable")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	putObject(t, c, "durable", "k", []byte("still here"))
	srv.Stop(t) // fails unless the exit status is 0
	files := []string{"meta.db", "blobs", "quarry.key"}
	if onPostgres() {
		files = files[1:]
	}
	for _, name := range files {
		if _, err := os.Stat(filepath.Join(srv.DataDir, name)); err != nil {
			t.Errorf("data dir after stop: %v", err)
		}
	}
	srv.Restart(t)
	if got, _ := mustGet(t, c, "durable", "k", ""); string(got) != "still here" {
		t.Errorf("after a restart the object reads %q", got)
	}
	srv.Stop(t)
}

// readCredentials parses DATA/root-credentials.
func readCredentials(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open root credentials: %v", err)
	}
	defer f.Close()
	creds := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			creds[k] = v
		}
	}
	return creds
}

func TestRootCredentialsAreGeneratedOnceWhenUnset(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{NoRootEnv: true})
	path := filepath.Join(srv.DataDir, "root-credentials")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("root credentials file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("root credentials file mode = %o, want 600", mode)
	}
	creds := readCredentials(t, path)
	for _, k := range []string{"user", "password", "access_key", "secret_key"} {
		if creds[k] == "" {
			t.Errorf("root credentials file has no %s", k)
		}
	}
	ak, sk := creds["access_key"], creds["secret_key"]
	if ak == "" || sk == "" {
		t.FailNow()
	}
	if out := srv.Stdout(); !strings.Contains(out, sk) || !strings.Contains(out, ak) {
		t.Errorf("first start did not print the generated keys on stdout; stdout:\n%s", out)
	}

	c := s3Client(srv.S3URL, ak, sk)
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("generated")}); err != nil {
		t.Fatalf("CreateBucket with the generated keys: %v", err)
	}
	putObject(t, c, "generated", "k", []byte("v"))

	srv.Stop(t)
	srv.Restart(t)
	if out := srv.Stdout(); strings.Contains(out, sk) {
		t.Errorf("second start printed the secret key again; stdout:\n%s", out)
	}
	if again := readCredentials(t, path); again["secret_key"] != sk || again["access_key"] != ak {
		t.Errorf("root credentials changed on restart: %v", again)
	}
	if got, _ := mustGet(t, c, "generated", "k", ""); string(got) != "v" {
		t.Errorf("after restart the generated keys read %q", got)
	}
}

func TestVirtualHostStyleRequests(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{Args: []string{"--s3-domain", "s3.test"}})
	ctx := t.Context()
	_, port, _ := net.SplitHostPort(srv.S3Addr)

	// Every host name resolves to the server, so the SDK can address
	// <bucket>.s3.test:PORT as it would on AWS.
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, srv.S3Addr)
	}
	vhost := s3Client("http://s3.test:"+port, srv.AccessKey, srv.SecretKey, func(o *s3.Options) {
		o.UsePathStyle = false
		o.HTTPClient = &http.Client{Transport: tr}
	})
	path := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)

	if _, err := vhost.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vhost-bucket")}); err != nil {
		t.Fatalf("virtual-host CreateBucket: %v", err)
	}
	putObject(t, vhost, "vhost-bucket", "dir/obj", []byte("virtual"))
	if got, _ := mustGet(t, path, "vhost-bucket", "dir/obj", ""); string(got) != "virtual" {
		t.Errorf("path-style GET of a virtual-host PUT = %q", got)
	}
	putObject(t, path, "vhost-bucket", "path-put", []byte("path"))
	if got, _ := mustGet(t, vhost, "vhost-bucket", "path-put", ""); string(got) != "path" {
		t.Errorf("virtual-host GET of a path-style PUT = %q", got)
	}
	if keys := listKeys(t, vhost, "vhost-bucket", ""); strings.Join(keys, ",") != "dir/obj,path-put" {
		t.Errorf("virtual-host listing = %v", keys)
	}

	// A raw request with only the Host header naming the bucket.
	r := do(t, srv, rawRequest{Method: http.MethodGet, Target: "/dir/obj", Host: "vhost-bucket.s3.test:" + port})
	if r.Status != http.StatusOK || string(r.Body) != "virtual" {
		t.Errorf("raw virtual-host GET: %s, want 200 virtual", r)
	}
	// Path style keeps working on the bare IP.
	r = do(t, srv, rawRequest{Method: http.MethodGet, Target: "/vhost-bucket/dir/obj"})
	if r.Status != http.StatusOK || string(r.Body) != "virtual" {
		t.Errorf("path-style GET on a server with --s3-domain: %s", r)
	}
}

func TestSelfSignedTLS(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{TLS: true})
	if !strings.HasPrefix(srv.S3URL, "https://") {
		t.Fatalf("S3 URL %s is not https", srv.S3URL)
	}
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey) // InsecureSkipVerify client
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("secure")}); err != nil {
		t.Fatalf("CreateBucket over TLS: %v", err)
	}
	body := randomBytes(8, 6*mib) // large enough for the SDK's streaming checksum path
	putObject(t, c, "secure", "k", body)
	if got, _ := mustGet(t, c, "secure", "k", ""); sha256Hex(got) != sha256Hex(body) {
		t.Error("object read back over TLS differs")
	}
	// Over TLS an unseekable body goes out aws-chunked with a trailing
	// checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String("secure"), Key: aws.String("streamed"),
		Body: io.MultiReader(bytes.NewReader(body)), ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		t.Fatalf("streaming PutObject over TLS: %v", err)
	}
	got, out := mustGetInput(t, c, &s3.GetObjectInput{Bucket: aws.String("secure"), Key: aws.String("streamed"), ChecksumMode: types.ChecksumModeEnabled})
	if sha256Hex(got) != sha256Hex(body) {
		t.Error("object streamed with a trailing checksum reads back different bytes")
	}
	// Over TLS the SDK sends a CRC32 by default; it is stored as on AWS.
	var crc [4]byte
	binary.BigEndian.PutUint32(crc[:], crc32.ChecksumIEEE(body))
	if got, want := aws.ToString(out.ChecksumCRC32), base64.StdEncoding.EncodeToString(crc[:]); got != want {
		t.Errorf("CRC32 of an upload with the SDK's default trailing checksum = %q, want %q", got, want)
	}
	// Plain HTTP on the TLS port does not get an S3 answer.
	resp, err := http.Get("http://" + srv.S3Addr + "/")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("plain HTTP to the TLS listener answered %s", resp.Status)
		}
	}
}

func TestGracefulStopFinishesAnUploadInFlight(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("inflight")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	data := randomBytes(77, 2*mib)
	pr, pw := io.Pipe()
	req, err := buildRaw(t.Context(), srv.S3URL, rawRequest{Method: http.MethodPut, Target: "/inflight/slow", UnsignedPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	req.Body, req.ContentLength = pr, int64(len(data))
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()
	if _, err := pw.Write(data[:mib]); err != nil {
		t.Fatalf("write first half: %v", err)
	}
	// The kernel accepts a connection before the server does: wait until
	// the server is streaming this body into a temporary blob, so that the
	// SIGTERM below lands on a request in flight, not on one still queued.
	waitFor(t, 10*time.Second, "streaming the upload into the blob store", func() bool {
		entries, _ := os.ReadDir(filepath.Join(srv.DataDir, "blobs", "tmp"))
		return len(entries) > 0
	})
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop() }()
	time.Sleep(300 * time.Millisecond) // SIGTERM has landed while the body is half sent
	if _, err := pw.Write(data[mib:]); err != nil {
		t.Fatalf("write second half after SIGTERM: %v", err)
	}
	pw.Close()
	if r := <-done; r.err != nil || r.status != http.StatusOK {
		t.Errorf("upload in flight during SIGTERM: status %d err %v, want 200", r.status, r.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("graceful stop with an upload in flight: %v", err)
	}
	srv.Restart(t)
	if got, _ := mustGet(t, c, "inflight", "slow", ""); !bytes.Equal(got, data) {
		t.Errorf("upload finished during shutdown reads back %d bytes, want %d equal bytes", len(got), len(data))
	}
}
