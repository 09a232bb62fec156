package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// churn writes and deletes objects under prefix with 6 clients until ctx
// ends: the concurrent writes a job must stay exact under.
func churn(ctx context.Context, t *testing.T, c *s3.Client, bucket, prefix string, keys int) (wait func() int) {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ops int
	)
	for w := range 6 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for ctx.Err() == nil {
				key := fmt.Sprintf("%s%05d", prefix, r.IntN(keys))
				var err error
				if r.IntN(3) == 0 {
					_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				} else {
					_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(key))})
				}
				if err != nil && ctx.Err() == nil {
					t.Errorf("churn %s: %v", key, err)
					return
				}
				mu.Lock()
				ops++
				mu.Unlock()
			}
		})
	}
	return func() int {
		wg.Wait()
		return ops
	}
}

func TestJobCountersStayExactUnderConcurrentWrites(t *testing.T) {
	t.Parallel()

	t.Run("METRIC_RECONCILIATION", func(t *testing.T) {
		t.Parallel()
		c := rootClient()
		bucket := newBucket(t, c)
		setVersioning(t, c, bucket, "Enabled")
		putConcurrently(t, c, bucket, 3000)
		root := mapiRoot(t, sharedSrv)
		for round := range 3 {
			ctx, stop := context.WithCancel(t.Context())
			wait := churn(ctx, t, c, bucket, "k/", 3000)
			// waitJobEnded checks the identity on every status it reads.
			j := root.waitJobEnded(root.createJob(metricRecon, bucket, nil).ID(), 2*time.Minute)
			stop()
			ops := wait()
			wantJobComplete(t, fmt.Sprintf("round %d: reconciliation during %d concurrent writes", round, ops), j, j.JobStats.Processed, 0)
			if j.JobStats.Total < 3000 {
				t.Errorf("round %d: total %d, want at least the 3000 versions seeded", round, j.JobStats.Total)
			}
		}
	})

	t.Run("LIFECYCLE_UPDATE", func(t *testing.T) {
		t.Parallel()
		srv := lifecycleServer(t, false, "")
		c := s3Client(srv.S3URL, srv.AccessKey, srv.SecretKey)
		bucket := newBucket(t, c)
		setVersioning(t, c, bucket, "Enabled")
		putConcurrently(t, c, bucket, 3000)
		putLifecycle(t, c, bucket, expireRule("all", "k/", 1))
		root := mapiRoot(t, srv)
		time.Sleep(2500 * time.Millisecond) // what was written is a lifecycle day old
		// Six clients write the same keys for the job's first 4 seconds:
		// on PostgreSQL its pages' transactions and theirs conflict, and
		// the job splits its pages until they get through (a page of 1,000
		// version rows never would while the writes go on). The writes
		// stop after 4 seconds, as each one adds a version to judge.
		ctx, stop := context.WithTimeout(t.Context(), 4*time.Second)
		wait := churn(ctx, t, c, bucket, "k/", 3000)
		j := root.waitJobEnded(root.createJob(lifecycleUpdate, bucket, nil).ID(), 2*time.Minute)
		stop()
		ops := wait()
		wantJobComplete(t, fmt.Sprintf("LIFECYCLE_UPDATE during %d concurrent writes", ops), j, j.JobStats.Processed, 0)
		if j.JobStats.Processed == 0 {
			t.Errorf("LIFECYCLE_UPDATE expired nothing of %d due objects", j.JobStats.Total)
		}
	})

	t.Run("TRIGGER_RECONCILIATION", func(t *testing.T) {
		t.Parallel()
		n := newNotifySetup(t)
		n.configure(t, trigger{ID: "all", Events: []string{"s3:ObjectCreated:*"}})
		putConcurrently(t, n.S3, n.Bucket, 1500)
		// Writes for the job's first 4 seconds, as above: each adds a
		// live event to the outbox the job reads and writes.
		ctx, stop := context.WithTimeout(t.Context(), 4*time.Second)
		wait := churn(ctx, t, n.S3, n.Bucket, "k/", 1500)
		j := n.reconcile(t, nil) // COMPLETE, with the counter identity
		stop()
		if ops := wait(); j.JobStats.Total < 1 {
			t.Errorf("TRIGGER_RECONCILIATION during %d concurrent writes found no object", ops)
		}
	})

	t.Run("BATCH_REPLICATE", func(t *testing.T) {
		t.Parallel()
		p := newReplPair(t, false)
		putObjects(t, p.SrcS3, p.SrcBucket, smallObjects("seed/", 1500, 2<<10), seedConcurrency)
		p.mustReplicate(t, replRule{})
		for round := range 2 {
			ctx, stop := context.WithCancel(t.Context())
			wait := churn(ctx, t, p.SrcS3, p.SrcBucket, "seed/", 1500)
			j := runBatch(p.MAPI, p.SrcBucket, nil, 2*time.Minute)
			stop()
			ops := wait()
			wantJobComplete(t, fmt.Sprintf("round %d: BATCH_REPLICATE during %d concurrent writes", round, ops), j, j.JobStats.Processed, 0)
		}
	})
}

// TestACancelAnswered200AlwaysEndsCancelled races cancels against jobs
// that are about to finish: every cancel that answers 200 must end the job
// CANCELLED; one that comes too late answers 409 and the job is COMPLETE.
func TestACancelAnswered200AlwaysEndsCancelled(t *testing.T) {
	t.Parallel()
	c := rootClient()
	root := mapiRoot(t, sharedSrv)
	const jobs = 40
	buckets := make([]string, 8)
	for i := range buckets {
		buckets[i] = newBucket(t, c)
		putConcurrently(t, c, buckets[i], 20)
	}
	var accepted, refused int
	for i := range jobs {
		bucket := buckets[i%len(buckets)]
		created := root.createJob(metricRecon, bucket, nil)
		time.Sleep(time.Duration(rand.IntN(60)) * time.Millisecond)
		resp := root.post("jobs/cancel", jobIDBody(created.ID()))
		final := root.waitJobEnded(created.ID(), time.Minute)
		switch resp.Status {
		case http.StatusOK:
			accepted++
			if final.JobState != "CANCELLED" {
				t.Errorf("job %d: cancel answered 200 (%s) but the job ended %s", created.ID(), resp, final.JobState)
			}
		case http.StatusConflict:
			refused++
			if final.JobState != "COMPLETE" {
				t.Errorf("job %d: cancel answered 409 but the job ended %s", created.ID(), final.JobState)
			}
		default:
			t.Errorf("job %d: cancel answered %s", created.ID(), resp)
		}
	}
	t.Logf("%d cancels accepted, %d refused as too late", accepted, refused)
}
