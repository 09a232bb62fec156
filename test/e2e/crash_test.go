package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/internal/meta"
)

// crashLog records what the writers tried and what the server acknowledged.
type crashLog struct {
	mu sync.Mutex
	// attempted maps bucket/key to the SHA-256s of every body sent to it.
	attempted map[string]map[string]bool
	acked     []ackedPut
}

type ackedPut struct {
	bucket, key, versionID, sha string
	// unique: no other PUT ever went to this key.
	unique bool
}

func (l *crashLog) attempt(bucket, key, sha string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := bucket + "/" + key
	if l.attempted[k] == nil {
		l.attempted[k] = map[string]bool{}
	}
	l.attempted[k][sha] = true
}

func (l *crashLog) ack(p ackedPut) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked = append(l.acked, p)
}

func TestCrashLeavesNoTornObjects(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	plain, versioned := "crash-plain", "crash-versioned"
	for _, b := range []string{plain, versioned} {
		if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", b, err)
		}
	}
	setVersioning(t, c, versioned, types.BucketVersioningStatusEnabled)

	log := &crashLog{attempted: map[string]map[string]bool{}}
	writer := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() { writeUntilCancelled(ctx, writer, log, g, plain, versioned) })
	}
	time.Sleep(3 * time.Second)
	srv.Kill(t)
	cancel()
	wg.Wait()
	if len(log.acked) < 20 {
		t.Fatalf("only %d PUTs were acknowledged before the kill; the test proves nothing", len(log.acked))
	}
	t.Logf("%d PUTs acknowledged, %d keys attempted before SIGKILL", len(log.acked), len(log.attempted))

	srv.Restart(t)
	c = s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	for _, a := range log.acked {
		if !a.unique && a.versionID == "" {
			continue // an unacknowledged later PUT may have replaced it
		}
		got, _, err := getBody(t.Context(), c, a.bucket, a.key, a.versionID)
		if err != nil {
			t.Errorf("acknowledged %s/%s (version %q) lost after the crash: %v", a.bucket, a.key, a.versionID, err)
			continue
		}
		if sha256Hex(got) != a.sha {
			t.Errorf("acknowledged %s/%s (version %q) reads back different bytes", a.bucket, a.key, a.versionID)
		}
	}
	for _, b := range []string{plain, versioned} {
		checkBucketAfterCrash(t, srv, c, b, log)
	}
}

// writeUntilCancelled PUTs objects of 1 KiB..2 MiB: unique keys and
// overwritten keys in the plain bucket, overwritten keys in the versioned one.
func writeUntilCancelled(ctx context.Context, c *s3.Client, log *crashLog, g int, plain, versioned string) {
	rng := rand.New(rand.NewPCG(uint64(g), 42))
	for i := 0; ctx.Err() == nil; i++ {
		bucket, key, unique := plain, fmt.Sprintf("g%d/%05d", g, i), true
		switch i % 4 {
		case 2:
			key, unique = fmt.Sprintf("shared/%02d", rng.IntN(8)), false
		case 3:
			bucket, key, unique = versioned, fmt.Sprintf("v/%02d", rng.IntN(8)), false
		}
		body := randomBytes(uint64(g)<<32|uint64(i), 1024<<rng.IntN(12))
		sha := sha256Hex(body)
		log.attempt(bucket, key, sha)
		out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
		if err != nil {
			continue
		}
		a := ackedPut{bucket: bucket, key: key, sha: sha, unique: unique}
		if bucket == versioned {
			a.versionID = aws.ToString(out.VersionId)
		}
		log.ack(a)
	}
}

// checkBucketAfterCrash reads every listed version back whole and checks
// it against what was written, then the usage counters against the listing.
func checkBucketAfterCrash(t *testing.T, srv *server, c *s3.Client, bucket string, log *crashLog) {
	t.Helper()
	ctx := t.Context()
	var want meta.Usage
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectVersions %s after the crash: %v", bucket, err)
		}
		for _, v := range page.Versions {
			key, size := aws.ToString(v.Key), aws.ToInt64(v.Size)
			want.Versions++
			want.VersionBytes += size
			if aws.ToBool(v.IsLatest) {
				want.Objects++
				want.Bytes += size
			}
			checkListedObject(t, c, bucket, key, aws.ToString(v.VersionId), size, aws.ToString(v.ETag), log)
		}
	}
	var current int64
	lp := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2 %s after the crash: %v", bucket, err)
		}
		for _, o := range page.Contents {
			current++
			checkListedObject(t, c, bucket, aws.ToString(o.Key), "", aws.ToInt64(o.Size), aws.ToString(o.ETag), log)
		}
	}
	if current != want.Objects {
		t.Errorf("%s: ListObjectsV2 lists %d objects, ListObjectVersions %d latest versions", bucket, current, want.Objects)
	}
	if got := readUsage(t, srv, bucket); got != want {
		t.Errorf("%s: usage counters after the crash = %+v, listings sum to %+v", bucket, got, want)
	}
}

func checkListedObject(t *testing.T, c *s3.Client, bucket, key, versionID string, size int64, etag string, log *crashLog) {
	t.Helper()
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: optional(versionID)})
	if err != nil {
		t.Errorf("listed %s/%s (version %q) cannot be read: %v", bucket, key, versionID, err)
		return
	}
	defer out.Body.Close()
	h5, h256 := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(h5, h256), out.Body)
	if err != nil {
		t.Errorf("listed %s/%s (version %q): read after %d bytes: %v", bucket, key, versionID, n, err)
		return
	}
	if n != size {
		t.Errorf("listed %s/%s (version %q) has size %d but reads %d bytes", bucket, key, versionID, size, n)
	}
	if got := quoted(hex.EncodeToString(h5.Sum(nil))); got != etag {
		t.Errorf("listed %s/%s (version %q) has ETag %s but its bytes hash to %s", bucket, key, versionID, etag, got)
	}
	log.mu.Lock()
	ok := log.attempted[bucket+"/"+key][hex.EncodeToString(h256.Sum(nil))]
	log.mu.Unlock()
	if !ok {
		t.Errorf("listed %s/%s (version %q) holds bytes no writer sent (torn object)", bucket, key, versionID)
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
