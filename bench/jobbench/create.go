package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/mapicall"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
	"github.com/quarrylabs/quarry/internal/meta"
)

// CreateResult is the jobs/create run's figures.
type CreateResult struct {
	Clients   int     `json:"clients"`
	Creates   int     `json:"creates"`
	Errors    int64   `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"creates_per_second"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	Maxms     float64 `json:"max_ms"`
	// DrainSeconds is how long after the first create the engine took to
	// finish every job (they run while creates still arrive).
	DrainSeconds float64 `json:"drain_seconds"`
}

// benchCreate makes one empty bucket per create directly in the metadata
// store (so the one-active-job-per-bucket rule never answers 409), then
// has cfg.clients clients create METRIC_RECONCILIATION jobs on them as fast
// as they can, timing each jobs/create. The engine runs those jobs
// meanwhile, as it would in production.
func benchCreate(ctx context.Context, cfg config, srv *quarryproc.Server, st meta.Store) (CreateResult, error) {
	res := CreateResult{Clients: cfg.clients, Creates: cfg.creates}
	buckets, err := makeBuckets(ctx, st, "create-", cfg.creates)
	if err != nil {
		return res, err
	}
	clients := make([]*mapicall.Client, cfg.clients)
	for i := range clients {
		if clients[i], err = login(ctx, srv.MAPIURL); err != nil {
			return res, err
		}
	}
	progress("jobs/create: %d creates from %d clients", cfg.creates, cfg.clients)
	lat := make([]time.Duration, cfg.creates)
	var next, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range clients {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < cfg.creates && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t0 := time.Now()
				err := c.Post(ctx, "jobs/create", map[string]any{"jobType": "METRIC_RECONCILIATION", "bucketName": buckets[i]}, nil)
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					lat[i] = -1
					errOnce.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	res.Errors = failed.Load()
	if res.Errors > 0 {
		progress("jobs/create: %d errors, the first: %v", res.Errors, firstErr)
	}
	ok := make([]time.Duration, 0, len(lat))
	for _, d := range lat {
		if d >= 0 {
			ok = append(ok, d)
		}
	}
	res.Seconds = elapsed.Seconds()
	res.PerSecond = float64(len(ok)) / elapsed.Seconds()
	res.P50ms, res.P99ms, res.Maxms = ms(percentile(ok, 50)), ms(percentile(ok, 99)), ms(percentile(ok, 100))

	if err := waitAllEnded(ctx, st, int64(len(ok))); err != nil {
		return res, err
	}
	res.DrainSeconds = time.Since(start).Seconds()
	return res, nil
}

// makeBuckets creates n empty buckets owned by root in one transaction.
func makeBuckets(ctx context.Context, st meta.Store, prefix string, n int) ([]string, error) {
	names := make([]string, n)
	err := st.Update(ctx, func(tx meta.Tx) error {
		root, err := tx.GetUserByName(rootUser)
		if err != nil {
			return fmt.Errorf("root user: %w", err)
		}
		for i := range names {
			names[i] = fmt.Sprintf("%s%05d", prefix, i)
			b := &meta.Bucket{Name: names[i], OwnerID: root.ID, CreatedAt: time.Now().UTC()}
			if err := tx.CreateBucket(b); err != nil {
				return fmt.Errorf("bucket %s: %w", names[i], err)
			}
		}
		return nil
	})
	return names, err
}

// waitAllEnded polls the job counts until want jobs ended.
func waitAllEnded(ctx context.Context, st meta.Store, want int64) error {
	for {
		var ended, failed int64
		err := st.View(ctx, func(tx meta.Tx) error {
			counts, err := tx.CountJobs()
			for _, c := range counts {
				if c.State.Terminal() {
					ended += c.Count
				}
				if c.State != meta.JobComplete && c.State.Terminal() {
					failed += c.Count
				}
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("count jobs: %w", err)
		}
		if failed > 0 {
			return fmt.Errorf("%d jobs ended other than COMPLETE", failed)
		}
		if ended >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
