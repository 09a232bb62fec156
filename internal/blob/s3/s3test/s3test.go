// Package s3test runs a real S3 server for tests of code that talks to
// one: Quarry's own S3 API (its real handler, object service, SQLite
// metadata and disk blobs) on a loopback port, over real HTTP. It is the
// storage component the S3 blob store's tests write to.
package s3test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/auth"
	blobs3 "github.com/quarrylabs/quarry/internal/blob/s3"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/s3api"
	"github.com/quarrylabs/quarry/internal/storetest"
)

// The backend's root credentials.
const (
	AccessKey = "S3TESTBACKENDACCESS1"
	SecretKey = "s3test-backend-secret-key-0000000000001"
	Region    = "us-east-1"
)

// Backend is a running S3 server on Endpoint.
type Backend struct {
	Endpoint string
	// Host and Port are the endpoint's parts.
	Host string
	Port int
	// Client is an S3 client of the backend, as its root user.
	Client  *awss3.Client
	buckets atomic.Int64
}

// Start runs a backend until the test ends.
func Start(t testing.TB) *Backend {
	t.Helper()
	store, blobs := storetest.Open(t)
	users := auth.NewService(store, storetest.Sealer(t))
	_, err := users.Bootstrap(context.Background(), auth.RootConfig{User: "root", Password: "s3test-root-password",
		AccessKey: AccessKey, SecretKey: SecretKey})
	if err != nil {
		t.Fatalf("s3test: root account: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	objects := object.New(object.Config{Meta: store, Blobs: blobs, Logger: logger})
	srv := httptest.NewServer(s3api.New(s3api.Config{Objects: objects, Creds: users, Region: Region, Logger: logger}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = objects.Run(ctx) }() // the blob trash collector
	t.Cleanup(func() { cancel(); <-done })
	b := &Backend{Endpoint: srv.URL, Client: Client(srv.URL, AccessKey, SecretKey)}
	addr := srv.Listener.Addr().(*net.TCPAddr)
	b.Host, b.Port = addr.IP.String(), addr.Port
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
