package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/metaseed"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"

	_ "modernc.org/sqlite" // the baseline's database/sql driver
)

// ReconResult is the METRIC_RECONCILIATION run's figures.
type ReconResult struct {
	Objects     int     `json:"objects"`
	SeedSeconds float64 `json:"seed_seconds"`
	// JobSeconds runs from the jobs/create request to the first status
	// poll (every jobPoll) that shows COMPLETE.
	JobSeconds       float64 `json:"job_seconds"`
	ObjectsPerSecond float64 `json:"objects_per_second"`
	// BaselineSeconds is the best of baselineRuns runs of the query.
	BaselineSeconds       float64 `json:"baseline_seconds"`
	BaselineRowsPerSecond float64 `json:"baseline_rows_per_second"`
	// Ratio is ObjectsPerSecond / BaselineRowsPerSecond.
	Ratio float64 `json:"ratio"`
}

const baselineRuns = 3

// jobPoll is how often the job's status is read while it runs: the job's
// time is accurate to about this much.
const jobPoll = 20 * time.Millisecond

// openStore opens the server's metadata store (SQLite WAL: a second
// process may read and write it while the server runs).
func openStore(ctx context.Context, dataDir string) (*sqlite.Store, error) {
	st, err := sqlite.Open(ctx, filepath.Join(dataDir, "meta.db"))
	if err != nil {
		return nil, fmt.Errorf("open the server's metadata: %w", err)
	}
	return st, nil
}

// benchRecon seeds a bucket with cfg.objects one-version objects through
// the metadata store, times the baseline query over those rows, then times
// a METRIC_RECONCILIATION of the bucket through the MAPI.
func benchRecon(ctx context.Context, cfg config, srv *quarryproc.Server, st meta.Store) (ReconResult, error) {
	res := ReconResult{Objects: cfg.objects}
	names, err := makeBuckets(ctx, st, "recon-", 1)
	if err != nil {
		return res, err
	}
	bucket := names[0]
	start := time.Now()
	if err := metaseed.Versions(ctx, st, bucket, "obj/", cfg.objects, cfg.batch, progress); err != nil {
		return res, err
	}
	res.SeedSeconds = time.Since(start).Seconds()

	best, err := baseline(ctx, srv.DataDir, bucket, cfg.objects)
	if err != nil {
		return res, err
	}
	res.BaselineSeconds = best.Seconds()
	res.BaselineRowsPerSecond = float64(cfg.objects) / best.Seconds()

	c, err := login(ctx, srv.MAPIURL)
	if err != nil {
		return res, err
	}
	progress("reconciliation: METRIC_RECONCILIATION over %d versions", cfg.objects)
	start = time.Now()
	created, err := c.CreateJob(ctx, "METRIC_RECONCILIATION", bucket)
	if err != nil {
		return res, err
	}
	final, err := c.WaitJob(ctx, created.JobID.ID, jobPoll, nil)
	if err != nil {
		return res, err
	}
	if final.JobState != "COMPLETE" {
		return res, fmt.Errorf("job ended %s: %s", final.JobState, final.Message)
	}
	res.JobSeconds = time.Since(start).Seconds()
	if final.JobStats.Processed != int64(cfg.objects) || final.JobStats.Failed != 0 {
		return res, fmt.Errorf("job ended with processed %d, failed %d; want %d, 0",
			final.JobStats.Processed, final.JobStats.Failed, cfg.objects)
	}
	res.ObjectsPerSecond = float64(cfg.objects) / res.JobSeconds
	res.Ratio = res.ObjectsPerSecond / res.BaselineRowsPerSecond
	return res, nil
}

// baseline times `SELECT count(*), sum(size)` over the bucket's version
// rows on a read-only connection to the same database file, and returns
// the best of baselineRuns runs.
func baseline(ctx context.Context, dataDir, bucket string, want int) (time.Duration, error) {
	abs, err := filepath.Abs(filepath.Join(dataDir, "meta.db"))
	if err != nil {
		return 0, err
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() +
		"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return 0, fmt.Errorf("baseline: open: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var best time.Duration
	for run := range baselineRuns {
		var count, sum int64
		start := time.Now()
		err := db.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(size), 0) FROM versions WHERE bucket = ?`, bucket).Scan(&count, &sum)
		took := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("baseline query: %w", err)
		}
		if count != int64(want) {
			return 0, fmt.Errorf("baseline counted %d rows, want %d", count, want)
		}
		progress("baseline run %d: %d rows, %d bytes in %v", run+1, count, sum, took.Round(time.Millisecond))
		if run == 0 || took < best {
			best = took
		}
	}
	return best, nil
}
