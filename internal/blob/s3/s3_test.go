package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/blob/blobtest"
	blobs3 "github.com/quarrylabs/quarry/internal/blob/s3"
	"github.com/quarrylabs/quarry/internal/blob/s3/s3test"
)

// prefixes makes every store of a test run its own key prefix, so each
// starts empty.
var prefixes atomic.Int64

func newStore(t *testing.T, cfg blobs3.Config) *blobs3.Store {
	t.Helper()
	s, err := blobs3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestTheStorePassesTheConformanceSuiteAgainstAQuarryBackend(t *testing.T) {
	b := s3test.Start(t)
	bucket := b.NewBucket(t)
	blobtest.Run(t, func(t *testing.T) blob.Store {
		cfg := b.Config(bucket, fmt.Sprintf("suite-%d/", prefixes.Add(1)))
		cfg.PartSize = blobs3.MinPartSize // so the 20 MiB blob takes 4 parts
		return newStore(t, cfg)
	})
	// Failed and cancelled puts aborted their uploads.
	out, err := b.Client.ListMultipartUploads(context.Background(), &awss3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left behind by the suite", len(out.Uploads))
	}
}

func TestTheStorePassesTheConformanceSuiteAgainstMinIO(t *testing.T) {
	bin, err := exec.LookPath("minio")
	if err != nil {
		t.Skip("no minio binary on PATH")
	}
	endpoint := startMinIO(t, bin)
	cfg := blobs3.Config{Bucket: "quarry-blobs", Endpoint: endpoint, PathStyle: true,
		AccessKey: "minioadmin", SecretKey: "minioadmin", PartSize: blobs3.MinPartSize}
	admin := newStore(t, cfg)
	_, err = adminClient(admin, cfg).CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(cfg.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, func(t *testing.T) blob.Store {
		c := cfg
		c.Prefix = fmt.Sprintf("suite-%d/", prefixes.Add(1))
		return newStore(t, c)
	})
}

func adminClient(_ *blobs3.Store, cfg blobs3.Config) *awss3.Client {
	return s3test.Client(cfg.Endpoint, cfg.AccessKey, cfg.SecretKey)
}

// startMinIO runs `minio server` on a free port until the test ends.
func startMinIO(t *testing.T, bin string) string {
	t.Helper()
	addr := s3test.FreeAddr(t)
	cmd := exec.Command(bin, "server", "--address", addr, "--quiet", filepath.Join(t.TempDir(), "minio"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER=minioadmin", "MINIO_ROOT_PASSWORD=minioadmin")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	endpoint := "http://" + addr
	if err := s3test.WaitHTTP(endpoint+"/minio/health/live", 30*time.Second); err != nil {
		t.Fatalf("minio: %v", err)
	}
	return endpoint
}

func TestABlobLargerThanAPartIsAMultipartObjectOfPartSizeParts(t *testing.T) {
	b := s3test.Start(t)
	bucket := b.NewBucket(t)
	cfg := b.Config(bucket, "blobs/")
	cfg.PartSize = blobs3.MinPartSize
	s := newStore(t, cfg)
	data := bytes.Repeat([]byte("0123456789abcdef"), (2*blobs3.MinPartSize+1000)/16)
	id := blob.NewID()
	n, err := s.Put(context.Background(), id, bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Put = %d, %v; want %d bytes", n, err, len(data))
	}
	head, err := b.Client.HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("blobs/" + id)})
	if err != nil {
		t.Fatal(err)
	}
	if etag := aws.ToString(head.ETag); !strings.HasSuffix(etag, `-3"`) {
		t.Fatalf("the object's ETag is %s, want a multipart ETag of 3 parts", etag)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(data)) {
		t.Fatalf("the object holds %d bytes, want %d", aws.ToInt64(head.ContentLength), len(data))
	}
	// A range across the part boundary reads back as written.
	rc, err := s.Open(context.Background(), id, blobs3.MinPartSize-10, 20)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data[blobs3.MinPartSize-10:blobs3.MinPartSize+10]) {
		t.Fatalf("the range across parts read %q", got)
	}
}

func TestABlobOfExactlyOnePartIsOnePutObject(t *testing.T) {
	b := s3test.Start(t)
	bucket := b.NewBucket(t)
	cfg := b.Config(bucket, "")
	cfg.PartSize = blobs3.MinPartSize
	s := newStore(t, cfg)
	id := blob.NewID()
	if _, err := s.Put(context.Background(), id, bytes.NewReader(make([]byte, blobs3.MinPartSize))); err != nil {
		t.Fatal(err)
	}
	head, err := b.Client.HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(aws.ToString(head.ETag), "-") {
		t.Fatalf("a blob of one part was stored as a multipart object (ETag %s)", aws.ToString(head.ETag))
	}
	if keys := b.Keys(t, bucket, ""); len(keys) != 1 || keys[0] != id {
		t.Fatalf("an empty prefix keeps the blob at the bucket's root: keys %v", keys)
	}
}

func TestWalkSkipsKeysUnderThePrefixThatAreNoBlobIDs(t *testing.T) {
	b := s3test.Start(t)
	bucket := b.NewBucket(t)
	s := newStore(t, b.Config(bucket, "blobs/"))
	id := blob.NewID()
	if _, err := s.Put(context.Background(), id, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"blobs/notes.txt", "blobs/" + id + "/child", "other/" + blob.NewID(), strings.ToUpper("blobs/" + blob.NewID())} {
		_, err := b.Client.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("y")})
		if err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	if err := s.Walk(context.Background(), func(i blob.Info) error { seen = append(seen, i.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != id {
		t.Fatalf("Walk saw %v, want only %s", seen, id)
	}
}

func TestWalkPagesThroughMoreThanAThousandBlobs(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1,100 objects")
	}
	b := s3test.Start(t)
	bucket := b.NewBucket(t)
	s := newStore(t, b.Config(bucket, "many/"))
	want := map[string]bool{}
	for range 1100 {
		id := blob.NewID()
		if _, err := s.Put(context.Background(), id, strings.NewReader("")); err != nil {
			t.Fatal(err)
		}
		want[id] = true
	}
	got := 0
	err := s.Walk(context.Background(), func(i blob.Info) error {
		if !want[i.ID] {
			t.Errorf("Walk saw %s, never written", i.ID)
		}
		got++
		return nil
	})
	if err != nil || got != len(want) {
		t.Fatalf("Walk saw %d blobs (%v), want %d", got, err, len(want))
	}
}

func TestCheckProvesTheBucketWorksAndSaysWhatFailed(t *testing.T) {
	b := s3test.Start(t)
	bucket := b.NewBucket(t)
	good := b.Config(bucket, "blobs/")
	if err := newStore(t, good).Check(context.Background()); err != nil {
		t.Fatalf("Check of a working bucket: %v", err)
	}
	if keys := b.Keys(t, bucket, ""); len(keys) != 0 {
		t.Fatalf("Check left %v behind", keys)
	}
	tests := []struct {
		name string
		edit func(*blobs3.Config)
		want string
	}{
		{"a bucket that does not exist", func(c *blobs3.Config) { c.Bucket = "no-such-bucket" }, "404"},
		{"a wrong secret key", func(c *blobs3.Config) { c.SecretKey = "wrong" }, "credentials were refused"},
		{"an endpoint nobody serves", func(c *blobs3.Config) { c.Endpoint = "http://" + s3test.FreeAddr(t) }, "cannot connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			err := newStore(t, cfg).Check(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check: %v, want an error saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), good.SecretKey) {
				t.Fatal("the error holds the secret key")
			}
		})
	}
}

func TestAMissingBucketIsNotAMissingBlob(t *testing.T) {
	b := s3test.Start(t)
	s := newStore(t, b.Config("no-such-bucket", "blobs/"))
	_, err := s.Open(context.Background(), blob.NewID(), 0, -1)
	if err == nil || errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open in a missing bucket: %v, want an error that is not ErrNotFound", err)
	}
}

func TestParseURLReadsEveryParameterAndRefusesMistakes(t *testing.T) {
	cfg, err := blobs3.ParseURL("s3://data?endpoint=https://s3.example:9000&region=eu-west-1&prefix=q&path_style=false&insecure=true&part_size=32MiB&concurrency=4")
	if err != nil {
		t.Fatal(err)
	}
	want := blobs3.Config{Bucket: "data", Endpoint: "https://s3.example:9000", Region: "eu-west-1", Prefix: "q/",
		Insecure: true, PartSize: 32 << 20, Concurrency: 4}
	if cfg != want {
		t.Fatalf("ParseURL = %+v, want %+v", cfg, want)
	}
	cfg, err = blobs3.ParseURL("s3://data?endpoint=http://127.0.0.1:9000")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.PathStyle || cfg.Prefix != "blobs/" || cfg.Region != "us-east-1" || cfg.PartSize != blobs3.DefaultPartSize {
		t.Fatalf("defaults with an endpoint: %+v", cfg)
	}
	if cfg, _ := blobs3.ParseURL("s3://data?prefix="); cfg.Prefix != "" {
		t.Fatalf("an empty prefix: %q", cfg.Prefix)
	}
	if cfg, _ := blobs3.ParseURL("s3://data"); cfg.PathStyle || cfg.Endpoint != "" {
		t.Fatalf("AWS: %+v, want virtual-host style", cfg)
	}
	for _, tt := range []struct{ url, want string }{
		{"https://data", "scheme"},
		{"s3://", "no bucket"},
		{"s3://data/sub", "prefix="},
		{"s3://key:secret@data", "credentials"},
		{"s3://data?endpoint=ftp://host", "http:// or https://"},
		{"s3://data?endpoint=http://host:99999", "port"},
		{"s3://data?endpoint=http://host/path", "host and a port only"},
		{"s3://data?region=a&region=b", "2 times"},
		{"s3://data?pathstyle=true", "unknown parameter"},
		{"s3://data?path_style=maybe", "path_style"},
		{"s3://data?part_size=1MiB", "part size"},
		{"s3://data?part_size=lots", "part_size"},
		{"s3://data?concurrency=0x", "concurrency"},
		{"s3://data?concurrency=100", "concurrency"},
	} {
		if _, err := blobs3.ParseURL(tt.url); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseURL(%q) = %v, want an error saying %q", tt.url, err, tt.want)
		}
	}
}
