// Package s3test runs a real S3 server for tests of code that talks to
// one: a Quarry server in the test process, on loopback ports, over real
// HTTP, with its own data directory on local disk. It is the storage
// component the S3 blob store's tests write to.
package s3test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/auth"
	blobs3 "github.com/quarrylabs/quarry/internal/blob/s3"
	"github.com/quarrylabs/quarry/internal/server"
)

// The backend's root credentials.
const (
	AccessKey = "S3TESTBACKENDACCESS1"
	SecretKey = "s3test-backend-secret-key-0000000000001"
	Region    = "us-east-1"
)

// Backend is a running Quarry serving S3 on Endpoint.
type Backend struct {
	Endpoint string
	// Client is an S3 client of the backend, as its root user.
	Client  *awss3.Client
	DataDir string
	buckets atomic.Int64
}

// Start runs a backend until the test ends.
func Start(t testing.TB) *Backend {
	t.Helper()
	dir := t.TempDir()
	var (
		cfg  server.Config
		errc = make(chan error, 1)
	)
	ctx, cancel := context.WithCancel(context.Background())
	for attempt := 1; ; attempt++ {
		s3Addr, mapiAddr := freeAddr(t), freeAddr(t)
		cfg = server.Config{
			DataDir:  filepath.Join(dir, "data"),
			S3Addr:   s3Addr,
			MAPIAddr: mapiAddr,
			Region:   Region,
			Root:     auth.RootConfig{User: "root", Password: "s3test-root-password", AccessKey: AccessKey, SecretKey: SecretKey},
			Stdout:   io.Discard,
			Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
			// Stop at once when the test ends.
			ShutdownTimeout: time.Second,
			NoLifecycleScan: true,
		}
		go func() { errc <- server.Run(ctx, cfg) }()
		err := waitReady(cfg.MAPIAddr, errc)
		if err == nil {
			break
		}
		if attempt == 3 {
			cancel()
			t.Fatalf("s3test: start the backend: %v", err)
		}
	}
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("s3test: backend stopped with %v", err)
		}
	})
	b := &Backend{Endpoint: "http://" + cfg.S3Addr, DataDir: cfg.DataDir}
	b.Client = awss3.New(awss3.Options{
		BaseEndpoint: aws.String(b.Endpoint),
		UsePathStyle: true,
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	return b
}

// NewBucket creates a fresh bucket and returns its name.
func (b *Backend) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("blobs-%d", b.buckets.Add(1))
	if _, err := b.Client.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	return name
}

// Config is a blob store configuration on bucket of the backend.
func (b *Backend) Config(bucket, prefix string) blobs3.Config {
	return blobs3.Config{
		Bucket: bucket, Endpoint: b.Endpoint, Region: Region, Prefix: prefix, PathStyle: true,
		AccessKey: AccessKey, SecretKey: SecretKey,
	}
}

// Keys lists the keys of bucket under prefix.
func (b *Backend) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	pages := awss3.NewListObjectsV2Paginator(b.Client, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("s3test: list %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("s3test: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitReady waits for the backend's health check, or its failure.
func waitReady(mapiAddr string, errc <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			return fmt.Errorf("the server stopped: %w", err)
		default:
		}
		resp, err := client.Get("http://" + mapiAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("not ready after 30s")
}

// Client is an S3 client of endpoint with static credentials.
func Client(endpoint, accessKey, secretKey string) *awss3.Client {
	return awss3.New(awss3.Options{
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	})
}

// FreeAddr returns a loopback address whose port was free a moment ago.
func FreeAddr(t testing.TB) string { return freeAddr(t) }

// WaitHTTP waits until url answers 200.
func WaitHTTP(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not answering 200 after %v", url, timeout)
}
