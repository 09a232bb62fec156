package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Objects up to --inline-max (128 KiB by default) are kept in the
// metadata store with their version, not in a blob. These tests check
// that they are as durable and as readable as blob objects.

func TestCrashLosesNoAcknowledgedInlineObject(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{Args: []string{"--inline-max", "8192"}})
	c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	plain, versioned := "inline-crash-plain", "inline-crash-versioned"
	for _, b := range []string{plain, versioned} {
		createBucketOn(t, c, b)
	}
	setVersioning(t, c, versioned, types.BucketVersioningStatusEnabled)

	log := &crashLog{attempted: map[string]map[string]bool{}}
	writer := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() { writeSmallUntilCancelled(ctx, writer, log, g, plain, versioned) })
	}
	time.Sleep(2 * time.Second)
	srv.Kill(t)
	cancel()
	wg.Wait()
	if len(log.acked) < 200 {
		t.Fatalf("only %d PUTs were acknowledged before the kill; the test proves nothing", len(log.acked))
	}
	t.Logf("%d small PUTs acknowledged, %d keys attempted before SIGKILL", len(log.acked), len(log.attempted))
	// Every body was at most --inline-max: none of them may have made a
	// blob (a temporary file of a write cut short could, but none began).
	if n := blobFiles(t, srv); n != 0 {
		t.Fatalf("%d blob files after PUTs of objects up to --inline-max; want none (not inlined)", n)
	}

	srv.Restart(t)
	c = s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
	for _, a := range log.acked {
		if !a.unique && a.versionID == "" {
			continue // an unacknowledged later PUT may have replaced it
		}
		got, out, err := getBody(t.Context(), c, a.bucket, a.key, a.versionID)
		if err != nil {
			t.Errorf("acknowledged %s/%s (version %q) lost after the crash: %v", a.bucket, a.key, a.versionID, err)
			continue
		}
		if sha256Hex(got) != a.sha || aws.ToString(out.ETag) != quoted(md5Hex(got)) {
			t.Errorf("acknowledged %s/%s (version %q) reads back different bytes (ETag %s, MD5 of the bytes %s)",
				a.bucket, a.key, a.versionID, aws.ToString(out.ETag), md5Hex(got))
		}
	}
	for _, b := range []string{plain, versioned} {
		checkBucketAfterCrash(t, srv, c, b, log)
	}
}

// writeSmallUntilCancelled PUTs objects of 0..8 KiB (all inline): unique
// keys and overwritten keys in the plain bucket, overwritten keys in the
// versioned one.
func writeSmallUntilCancelled(ctx context.Context, c *s3.Client, log *crashLog, g int, plain, versioned string) {
	rng := rand.New(rand.NewPCG(uint64(g), 11))
	for i := 0; ctx.Err() == nil; i++ {
		bucket, key, unique := plain, fmt.Sprintf("g%02d/%05d", g, i), true
		switch i % 4 {
		case 2:
			key, unique = fmt.Sprintf("shared/%02d", rng.IntN(16)), false
		case 3:
			bucket, key, unique = versioned, fmt.Sprintf("v/%02d", rng.IntN(16)), false
		}
		body := randomBytes(uint64(g)<<32|uint64(i), rng.IntN(8193))
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

func TestInlineAndBlobObjectsRoundTripThroughGetRangeCopyAndBatchReplicate(t *testing.T) {
	t.Parallel()
	p := newReplPair(t, false)
	ctx := t.Context()
	small, large := randomBytes(41, 4<<10), randomBytes(42, 200<<10) // inline, in a blob
	objects := map[string][]byte{"small": small, "large": large}
	for key, body := range objects {
		out, err := p.SrcS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.SrcBucket), Key: aws.String(key),
			Body: bytes.NewReader(body), ContentType: aws.String("application/x-" + key),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		if err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
		if aws.ToString(out.ETag) != quoted(md5Hex(body)) {
			t.Fatalf("PutObject %s: ETag %s, want the MD5 %s", key, aws.ToString(out.ETag), md5Hex(body))
		}
	}
	if n := blobFiles(t, p.Src); n != 1 {
		t.Fatalf("%d blob files after a 4 KiB and a 200 KiB PUT; want 1 (the 4 KiB one inline)", n)
	}
	for _, key := range []string{"small", "large"} {
		if _, err := p.SrcS3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(p.SrcBucket), Key: aws.String(key + "-copy"),
			CopySource: aws.String(p.SrcBucket + "/" + key)}); err != nil {
			t.Fatalf("CopyObject %s: %v", key, err)
		}
		objects[key+"-copy"] = objects[key]
	}
	if n := blobFiles(t, p.Src); n != 2 {
		t.Fatalf("%d blob files after copying both; want 2 (the 4 KiB copy inline)", n)
	}
	wantObjects(t, p.SrcS3, p.SrcBucket, objects, true)

	p.mustReplicate(t, replRule{Existing: true})
	j := runBatch(p.MAPI, p.SrcBucket, nil, 2*time.Minute)
	wantJobComplete(t, "BATCH_REPLICATE of inline and blob objects", j, int64(len(objects)), 0)
	var size int64
	for _, body := range objects {
		size += int64(len(body))
	}
	if j.JobStats.Bytes != size {
		t.Errorf("jobStats.bytes = %d, want %d", j.JobStats.Bytes, size)
	}
	wantObjects(t, p.DstS3, p.DstBucket, objects, false)
	if n := blobFiles(t, p.Dst); n != 2 {
		t.Errorf("%d blob files at the destination; want 2 (the 4 KiB replicas inline)", n)
	}
}

// wantObjects reads every object back whole, by a range and as part 1,
// and checks its bytes, ETag and checksum.
// A source object's CRC32C comes back on HEAD when withChecksum.
func wantObjects(t *testing.T, c *s3.Client, bucket string, objects map[string][]byte, withChecksum bool) {
	t.Helper()
	ctx := t.Context()
	for key, body := range objects {
		got, out := mustGet(t, c, bucket, key, "")
		if !bytes.Equal(got, body) || aws.ToString(out.ETag) != quoted(md5Hex(body)) {
			t.Errorf("%s/%s: GET returned %d bytes (ETag %s), want the %d written (MD5 %s)",
				bucket, key, len(got), aws.ToString(out.ETag), len(body), md5Hex(body))
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil || aws.ToInt64(head.ContentLength) != int64(len(body)) || withChecksum && aws.ToString(head.ChecksumCRC32C) == "" {
			t.Errorf("%s/%s: HEAD %+v, %v", bucket, key, head, err)
		}
		for _, r := range [][2]int{{0, 0}, {100, 1099}, {len(body) - 10, len(body) - 1}} {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Range: aws.String(fmt.Sprintf("bytes=%d-%d", r[0], r[1]))})
			if err != nil {
				t.Errorf("%s/%s: GET bytes=%d-%d: %v", bucket, key, r[0], r[1], err)
				continue
			}
			part, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil || !bytes.Equal(part, body[r[0]:r[1]+1]) {
				t.Errorf("%s/%s: GET bytes=%d-%d returned %d bytes that differ (%v)", bucket, key, r[0], r[1], len(part), err)
			}
		}
		whole, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), PartNumber: aws.Int32(1)})
		if err != nil {
			t.Errorf("%s/%s: GET partNumber=1: %v", bucket, key, err)
			continue
		}
		part, err := io.ReadAll(whole.Body)
		whole.Body.Close()
		if err != nil || !bytes.Equal(part, body) {
			t.Errorf("%s/%s: GET partNumber=1 returned %d bytes that differ (%v)", bucket, key, len(part), err)
		}
		if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			IfNoneMatch: aws.String(quoted(md5Hex(body)))}); err == nil {
			t.Errorf("%s/%s: GET If-None-Match its ETag succeeded; want 304", bucket, key)
		}
	}
}

func TestAnInlineMaxOutOfRangeStopsTheServerAtStart(t *testing.T) {
	t.Parallel()
	for name, how := range map[string]struct{ args, env []string }{
		"a negative flag":             {args: []string{"--inline-max", "-1"}},
		"more than 16 MiB by the env": {env: []string{"QUARRY_INLINE_MAX=16777217"}},
		"not a number by the env":     {env: []string{"QUARRY_INLINE_MAX=lots"}},
	} {
		t.Run(name, func(t *testing.T) {
			s3Addr, err := freeAddr()
			if err != nil {
				t.Fatal(err)
			}
			mapiAddr, err := freeAddr()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			args := append([]string{"server", "--data", t.TempDir(), "--s3-addr", s3Addr, "--mapi-addr", mapiAddr}, how.args...)
			cmd := exec.CommandContext(ctx, binaryPath, args...)
			cmd.Env = append(serverEnv(false), how.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("the server did not stop at start (%v, %v):\n%s", err, ctx.Err(), out)
			}
			if !strings.Contains(string(out), "inline") {
				t.Errorf("the error does not name the inline maximum:\n%s", out)
			}
		})
	}
}
