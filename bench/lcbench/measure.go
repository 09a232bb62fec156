package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/bench/internal/mapicall"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/blob/disk"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

// The two buckets: the job expires the objects of one, the baseline
// deletes those of the other.
const (
	jobBucket      = "lcbench-job"
	baselineBucket = "lcbench-deleteobjects"
)

// poll is how often the job's status and the blob trash are read: the
// times are accurate to about this much.
const poll = 20 * time.Millisecond

// dueMargin is waited past the moment the rule is due, so that the job's
// clock (read when each batch starts) is past it too.
const dueMargin = 100 * time.Millisecond

// bench holds what the measurements share.
type bench struct {
	cfg   config
	srv   *quarryproc.Server
	s3    *s3.Client
	mapi  *mapicall.Client
	st    *sqlite.Store
	blobs *disk.Store
}

// newBench opens the server's stores (the metadata in SQLite WAL mode may
// be read and written by a second process; the blob store is a directory
// of files) and logs in to both of its APIs.
func newBench(ctx context.Context, cfg config, srv *quarryproc.Server) (*bench, error) {
	b := &bench{cfg: cfg, srv: srv, s3: newS3Client(srv.S3URL, cfg.conc)}
	var err error
	tr := &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
	if b.mapi, err = mapicall.Login(ctx, &http.Client{Transport: tr, Timeout: 2 * time.Minute}, srv.MAPIURL, rootUser, rootPassword); err != nil {
		return nil, fmt.Errorf("log in to the MAPI: %w", err)
	}
	if b.st, err = sqlite.Open(ctx, filepath.Join(srv.DataDir, "meta.db")); err != nil {
		return nil, fmt.Errorf("open the server's metadata: %w", err)
	}
	if b.blobs, err = disk.New(filepath.Join(srv.DataDir, "blobs")); err != nil {
		b.st.Close()
		return nil, fmt.Errorf("open the server's blob store: %w", err)
	}
	return b, nil
}

func (b *bench) close() { b.st.Close() }

func (b *bench) buckets() [2]string { return [2]string{jobBucket, baselineBucket} }

// Side is one way of deleting the objects, timed.
type Side struct {
	// Seconds runs from the first request to the answer that says the
	// deletions are done: the status poll that shows the job COMPLETE, the
	// last DeleteObjects answer.
	Seconds          float64 `json:"seconds"`
	ObjectsPerSecond float64 `json:"objects_per_second"`
	// FreedSeconds runs from the same start until the blob trash is empty
	// (the server deletes freed blob files in the background, the same way
	// for both sides); in a versioned bucket nothing is freed.
	FreedSeconds float64 `json:"freed_seconds"`
	// ServerCPUSeconds is the CPU time the server used until FreedSeconds.
	ServerCPUSeconds float64 `json:"server_cpu_seconds"`
}

// measure seeds both buckets, times the job and the baseline one after the
// other, and checks what both left.
func (b *bench) measure(ctx context.Context, res *Results) error {
	for _, bucket := range b.buckets() {
		if err := createBucket(ctx, b.s3, bucket, b.cfg.versioned); err != nil {
			return err
		}
	}
	var err error
	if res.Seed, err = b.seed(ctx); err != nil {
		return err
	}
	due := res.Seed.lastModified.Truncate(time.Second).Add(2 * time.Second).Add(dueMargin)
	res.WaitSeconds = max(0, time.Until(due).Seconds())
	progress("waiting %.1f s for the rule to be due", res.WaitSeconds)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(due)):
	}

	progress("LIFECYCLE_UPDATE over %d objects", b.cfg.objects)
	if res.Job, res.JobStats, err = b.runJob(ctx); err != nil {
		return fmt.Errorf("LIFECYCLE_UPDATE: %w", err)
	}
	progress("DeleteObjects of %d keys, %d in flight", keysPerDelete, b.cfg.conc)
	res.Baseline, err = b.timed(ctx, func() error {
		return deleteAll(ctx, b.s3, baselineBucket, b.cfg.objects, b.cfg.conc)
	})
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if res.Baseline.Seconds > 0 {
		res.Ratio = res.Job.ObjectsPerSecond / res.Baseline.ObjectsPerSecond
	}
	res.Verified, err = b.verify(ctx)
	return err
}

// timed runs del, waits for the trash to be emptied and returns the times
// and the server's CPU.
func (b *bench) timed(ctx context.Context, del func() error) (Side, error) {
	var s Side
	cpu0, cpuOK := quarryproc.ProcessCPU(b.srv.PID())
	start := time.Now()
	if err := del(); err != nil {
		return s, err
	}
	s.Seconds = time.Since(start).Seconds()
	if err := b.waitTrashEmpty(ctx); err != nil {
		return s, err
	}
	s.FreedSeconds = time.Since(start).Seconds()
	if cpu1, ok := quarryproc.ProcessCPU(b.srv.PID()); ok && cpuOK {
		s.ServerCPUSeconds = (cpu1 - cpu0).Seconds()
	}
	s.ObjectsPerSecond = float64(b.cfg.objects) / s.Seconds
	return s, nil
}

// JobCounters is the job's final status as checked.
type JobCounters struct {
	Total     int64 `json:"total"`
	Processed int64 `json:"processed"`
	Skipped   int64 `json:"skipped"`
	Failed    int64 `json:"failed"`
	Expired   int64 `json:"expired"`
	// BytesFreed is the job's count of bytes no version refers to any more.
	BytesFreed int64 `json:"bytes_freed"`
}

// runJob creates the job and polls its status until it ends; it must end
// COMPLETE having expired every object and nothing else.
func (b *bench) runJob(ctx context.Context) (Side, JobCounters, error) {
	var final mapicall.JobStatus
	side, err := b.timed(ctx, func() error {
		created, err := b.mapi.CreateJob(ctx, "LIFECYCLE_UPDATE", jobBucket)
		if err != nil {
			return err
		}
		final, err = b.mapi.WaitJob(ctx, created.JobID.ID, poll, nil)
		return err
	})
	if err != nil {
		return side, JobCounters{}, err
	}
	var result struct {
		Expired    int64 `json:"expired"`
		BytesFreed int64 `json:"bytesFreed"`
	}
	if err := json.Unmarshal(final.Result, &result); err != nil {
		return side, JobCounters{}, fmt.Errorf("job result %s: %w", final.Result, err)
	}
	st := final.JobStats
	c := JobCounters{Total: st.Total, Processed: st.Processed, Skipped: st.Skipped, Failed: st.Failed,
		Expired: result.Expired, BytesFreed: result.BytesFreed}
	return side, c, checkJob(final.JobState, final.Message, c, b.cfg.objects, b.freedBytes())
}

// freedBytes is what expiring every object frees: all of it when the
// objects are removed, nothing when delete markers hide them.
func (b *bench) freedBytes() int64 {
	if b.cfg.versioned {
		return 0
	}
	return totalBytes(b.cfg.objects)
}

// checkJob says what is wrong with a job that should have expired n
// objects, freeing freed bytes.
func checkJob(state, message string, c JobCounters, n int, freed int64) error {
	if state != "COMPLETE" {
		return fmt.Errorf("job ended %s: %s", state, message)
	}
	want := JobCounters{Total: int64(n), Processed: int64(n), Expired: int64(n), BytesFreed: freed}
	if c != want {
		return fmt.Errorf("job counters %+v, want %+v", c, want)
	}
	return nil
}

// waitTrashEmpty polls the blob trash until the server has deleted every
// blob queued in it.
func (b *bench) waitTrashEmpty(ctx context.Context) error {
	for {
		var ids []string
		err := b.st.View(ctx, func(tx meta.Tx) error {
			var err error
			ids, err = tx.ListTrash(1)
			return err
		})
		if err != nil {
			return fmt.Errorf("read the blob trash: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Verified is what both buckets hold after both sides ran.
type Verified struct {
	// Versions is the version rows (and delete markers) left per bucket.
	Versions [2]int64 `json:"versions"`
	// Usage is each bucket's usage counters.
	Usage [2]meta.Usage `json:"usage"`
	// Blobs is the blob files left in the store (both buckets).
	Blobs int64 `json:"blobs"`
}

// verify checks that the two buckets ended the same and as the deletions
// should leave them: nothing listed, counters at zero objects, and either
// no rows and no blob files left (unversioned) or every object's version
// kept under a delete marker (versioned).
func (b *bench) verify(ctx context.Context) (Verified, error) {
	var v Verified
	var errs []error
	n := int64(b.cfg.objects)
	wantRows, wantBlobs, wantUsage := int64(0), int64(0), meta.Usage{}
	if b.cfg.versioned {
		wantRows, wantBlobs = 2*n, 2*n
		wantUsage = meta.Usage{Versions: n, VersionBytes: totalBytes(b.cfg.objects)}
	}
	for k, bucket := range b.buckets() {
		empty, err := listsEmpty(ctx, b.s3, bucket)
		if err != nil {
			return v, err
		}
		if !empty {
			errs = append(errs, fmt.Errorf("bucket %s still lists objects", bucket))
		}
		err = b.st.View(ctx, func(tx meta.Tx) error {
			if v.Versions[k], err = tx.CountVersions(bucket, ""); err != nil {
				return err
			}
			v.Usage[k], err = tx.GetUsage(bucket)
			return err
		})
		if err != nil {
			return v, fmt.Errorf("read %s: %w", bucket, err)
		}
		if v.Versions[k] != wantRows {
			errs = append(errs, fmt.Errorf("bucket %s holds %d version rows, want %d", bucket, v.Versions[k], wantRows))
		}
		if v.Usage[k] != wantUsage {
			errs = append(errs, fmt.Errorf("bucket %s usage %+v, want %+v", bucket, v.Usage[k], wantUsage))
		}
	}
	err := b.blobs.Walk(ctx, func(blob.Info) error { v.Blobs++; return nil })
	if err != nil {
		return v, fmt.Errorf("count blob files: %w", err)
	}
	if v.Blobs != wantBlobs {
		errs = append(errs, fmt.Errorf("%d blob files left, want %d", v.Blobs, wantBlobs))
	}
	if err := errors.Join(errs...); err != nil {
		return v, fmt.Errorf("after the deletions: %w", err)
	}
	return v, nil
}
