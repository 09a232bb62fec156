package e2e

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/internal/meta"
)

// corruptUsage is what the tests write over a bucket's counters: wrong in
// every field, negative bytes included.
var corruptUsage = meta.Usage{Objects: 7, Bytes: -12345, Versions: 1_000_000_000, VersionBytes: 3}

func TestMetricReconciliationCorrectsCorruptedCounters(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	const n = 300
	putConcurrently(t, c, bucket, n)
	listed := usageFromListing(t, c, bucket)
	if listed.Objects != n {
		t.Fatalf("listing shows %d objects after %d PUTs", listed.Objects, n)
	}

	st := openMeta(t, sharedSrv)
	setUsage(t, st, bucket, corruptUsage)
	root := mapiRoot(t, sharedSrv)
	created := root.createJob(metricRecon, bucket, nil)
	if created.JobState != "EXAMINING" || created.BucketName != bucket || created.JobType != metricRecon {
		t.Errorf("create answered %+v, want a new EXAMINING %s job on %s", created, metricRecon, bucket)
	}
	j := root.waitJobEnded(created.ID(), time.Minute)

	if j.JobState != "COMPLETE" {
		t.Fatalf("job ended %s (%s), want COMPLETE", j.JobState, j.Message)
	}
	if j.JobStats.Processed != n || j.JobStats.Failed != 0 || j.JobStats.Total != n {
		t.Errorf("jobStats %+v, want processed = total = %d, failed 0", j.JobStats, n)
	}
	if j.JobStats.Bytes != listed.VersionBytes {
		t.Errorf("jobStats.bytes = %d, want the %d bytes the listing shows", j.JobStats.Bytes, listed.VersionBytes)
	}
	if j.CompleteTime == "" {
		t.Error("a COMPLETE job has no completeTime")
	}
	if j.Progress == nil || *j.Progress != 100 {
		t.Errorf("progress of a COMPLETE job = %v, want 100", j.Progress)
	}
	if j.Result == nil {
		t.Fatalf("the status of a finished reconciliation has no result: %+v", j)
	}
	r := j.Result
	wantDrift := listed.Add(meta.Usage{Objects: -corruptUsage.Objects, Bytes: -corruptUsage.Bytes,
		Versions: -corruptUsage.Versions, VersionBytes: -corruptUsage.VersionBytes})
	for _, f := range []struct {
		name      string
		got, want meta.Usage
	}{
		{"usageBefore", usageOf(r.UsageBefore), corruptUsage},
		{"usageCounted", usageOf(r.UsageCounted), listed},
		{"usageAfter", usageOf(r.UsageAfter), listed},
		{"drift", usageOf(r.Drift), wantDrift},
	} {
		if f.got != f.want {
			t.Errorf("result.%s = %+v, want %+v", f.name, f.got, f.want)
		}
	}
	if !r.Corrected {
		t.Error("result.corrected = false after correcting corrupted counters")
	}
	wantExactUsage(t, st, bucket, &listed)
	if after := usageFromListing(t, c, bucket); after != listed {
		t.Errorf("the job changed the objects: listing %+v, was %+v", after, listed)
	}
}

// putConcurrently PUTs n objects of varied sizes (0 bytes to ~64 KiB) with
// 8 clients at once.
func putConcurrently(t *testing.T, c *s3.Client, bucket string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := atomic.Int64{}
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				body := randomBytes(uint64(i), (i*7919)%65536)
				_, err := c.PutObject(t.Context(), &s3.PutObjectInput{
					Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("k/%04d", i)), Body: bytes.NewReader(body),
				})
				if err != nil {
					errs <- fmt.Errorf("PutObject k/%04d: %w", i, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestMetricReconciliationKeepsCountersExactUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	dir, _ := bigDataDir(t)
	srv := startServerIn(t, serverOptions{}, dir)
	st := openMeta(t, srv)
	setUsage(t, st, bigBucket, corruptUsage)
	root := mapiRoot(t, srv)
	writer := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey, func(o *s3.Options) { o.RetryMaxAttempts = 1 })

	// Writers PUT new keys, overwrite their own keys (the replaced version's
	// bytes leave the counters) and DELETE seeded objects that the scan may
	// or may not have passed yet, until the job ends.
	stop := make(chan struct{})
	var acked atomic.Int64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch i % 3 {
				case 0, 1:
					key := fmt.Sprintf("hammer/%d/%03d", g, i%40)
					body := randomBytes(uint64(g<<32|i), 100+(i*131)%8000)
					_, err = writer.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bigBucket), Key: aws.String(key), Body: bytes.NewReader(body)})
				case 2:
					key := fmt.Sprintf("obj/%07d", (g*50_000+i*97)%bigObjects)
					_, err = writer.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bigBucket), Key: aws.String(key)})
				}
				if err == nil {
					acked.Add(1)
				}
			}
		})
	}
	created := root.createJob(metricRecon, bigBucket, nil)
	j := root.waitJobEnded(created.ID(), 2*time.Minute)
	during := acked.Load()
	close(stop)
	wg.Wait()

	if j.JobState != "COMPLETE" || j.JobStats.Failed != 0 {
		t.Fatalf("job ended %s with %+v (%s), want COMPLETE with failed 0", j.JobState, j.JobStats, j.Message)
	}
	if during < 20 {
		t.Fatalf("only %d writes were acknowledged while the job ran; the test proves nothing", during)
	}
	t.Logf("%d S3 writes acknowledged while the job ran; jobStats %+v", during, j.JobStats)
	// The writes moved the corrupted counters by their deltas before the
	// job settled, so usageBefore is corruptUsage plus those: still far off.
	if j.Result == nil || !j.Result.Corrected || j.Result.UsageBefore.Versions < corruptUsage.Versions/2 {
		t.Errorf("result %+v, want a correction from the corrupted counters", j.Result)
	}
	wantExactUsage(t, st, bigBucket, nil)
}
