package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/bench/internal/mapicall"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// jobPoll is how often the job's status is read while it runs: the
// replication time is accurate to about this much.
const jobPoll = 20 * time.Millisecond

// benchCase is one object size to replicate.
type benchCase struct {
	name   string // "small" or "large"
	count  int
	size   int64
	target float64 // the target for replication / baseline
	// rcloneTarget is the target for replication / rclone copy, 0 for none.
	rcloneTarget float64
	// perObject: the rate is objects/s (small objects); otherwise MB/s.
	perObject bool
}

// result is one side's best run of a case, with the S3 requests the
// destination (and the source) served per object during it.
type result struct {
	elapsed     time.Duration
	dstRequests map[string]float64
	srcRequests map[string]float64
	// srcCPU and dstCPU are the CPU time each server used (0 where /proc
	// cannot say).
	srcCPU, dstCPU time.Duration
	// examining is how long the job was seen EXAMINING (replication only).
	examining time.Duration
}

// caseResult is a case measured every way: the client loop (baseline),
// rclone copy (when hasRclone) and BATCH_REPLICATE.
type caseResult struct {
	benchCase
	baseline, replication result
	rclone                result
	hasRclone             bool
}

// rate is objects/s or MB/s (10^6 bytes/s) of a run of c.
func (c benchCase) rate(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	if c.perObject {
		return float64(c.count) / elapsed.Seconds()
	}
	return float64(c.count) * float64(c.size) / 1e6 / elapsed.Seconds()
}

// ratio is the replication rate over the baseline rate.
func (r caseResult) ratio() float64 {
	base := r.rate(r.baseline.elapsed)
	if base == 0 {
		return 0
	}
	return r.rate(r.replication.elapsed) / base
}

// rcloneRatio is the replication rate over the rclone copy's rate.
func (r caseResult) rcloneRatio() float64 {
	base := r.rate(r.rclone.elapsed)
	if !r.hasRclone || base == 0 {
		return 0
	}
	return r.rate(r.replication.elapsed) / base
}

// bench holds the two servers and their clients.
type bench struct {
	cfg      config
	src, dst *quarryproc.Server
	srcS3    *s3.Client
	dstS3    *s3.Client
	mapi     *mapicall.Client // of the source
	data     []byte
}

// runCase seeds the case's source bucket, then measures the baseline and
// BATCH_REPLICATE reps times each, each into a fresh destination bucket,
// keeping each side's best run.
func (b *bench) runCase(ctx context.Context, c benchCase) (caseResult, error) {
	out := caseResult{benchCase: c}
	srcBucket := c.name + "-src"
	if err := createBucket(ctx, b.srcS3, srcBucket, true); err != nil {
		return out, err
	}
	progress("%s: seeding %d objects of %s", c.name, c.count, sizeLabel(c.size))
	if err := seed(ctx, b.srcS3, srcBucket, c.count, c.size, b.data, b.cfg.seedConc); err != nil {
		return out, err
	}
	for rep := range b.cfg.reps {
		baseBucket := fmt.Sprintf("%s-base-%d", c.name, rep)
		if err := createBucket(ctx, b.dstS3, baseBucket, false); err != nil {
			return out, err
		}
		base, err := b.measure(ctx, func(ctx context.Context) (time.Duration, error) {
			return 0, clientCopy(ctx, b.srcS3, b.dstS3, srcBucket, baseBucket, c.count, b.cfg.conc)
		})
		if err != nil {
			return out, fmt.Errorf("%s baseline: %w", c.name, err)
		}
		if err := checkCopied(ctx, b.dstS3, "client copy loop", baseBucket, c.count); err != nil {
			return out, err
		}
		progress("%s rep %d: client copy loop %v (%.1f %s)", c.name, rep+1, base.elapsed.Round(time.Millisecond), c.rate(base.elapsed), c.unit())

		if b.cfg.rclone != "" {
			rcloneBucket := fmt.Sprintf("%s-rclone-%d", c.name, rep)
			if err := createBucket(ctx, b.dstS3, rcloneBucket, false); err != nil {
				return out, err
			}
			rc, err := b.measure(ctx, func(ctx context.Context) (time.Duration, error) {
				return 0, rcloneCopy(ctx, b.cfg.rclone, b.src.S3URL, srcBucket, b.dst.S3URL, rcloneBucket, b.cfg.rcloneTransfers)
			})
			if err != nil {
				return out, fmt.Errorf("%s rclone copy: %w", c.name, err)
			}
			if err := checkCopied(ctx, b.dstS3, "rclone copy", rcloneBucket, c.count); err != nil {
				return out, err
			}
			progress("%s rep %d: rclone copy --transfers %d %v (%.1f %s)", c.name, rep+1, b.cfg.rcloneTransfers, rc.elapsed.Round(time.Millisecond), c.rate(rc.elapsed), c.unit())
			if !out.hasRclone || rc.elapsed < out.rclone.elapsed {
				out.rclone, out.hasRclone = rc, true
			}
		}

		dstBucket := fmt.Sprintf("%s-repl-%d", c.name, rep)
		if err := createBucket(ctx, b.dstS3, dstBucket, false); err != nil {
			return out, err
		}
		arn, err := createTarget(ctx, b.mapi, dstBucket, b.dst.S3URL, dstBucket)
		if err != nil {
			return out, err
		}
		if err := replicateTo(ctx, b.srcS3, srcBucket, arn); err != nil {
			return out, err
		}
		repl, err := b.measure(ctx, func(ctx context.Context) (time.Duration, error) {
			return b.replicate(ctx, srcBucket, c.count)
		})
		if err != nil {
			return out, fmt.Errorf("%s BATCH_REPLICATE: %w", c.name, err)
		}
		if err := checkCopied(ctx, b.dstS3, "BATCH_REPLICATE", dstBucket, c.count); err != nil {
			return out, err
		}
		progress("%s rep %d: BATCH_REPLICATE %v (%.1f %s)", c.name, rep+1, repl.elapsed.Round(time.Millisecond), c.rate(repl.elapsed), c.unit())

		if rep == 0 || base.elapsed < out.baseline.elapsed {
			out.baseline = base
		}
		if rep == 0 || repl.elapsed < out.replication.elapsed {
			out.replication = repl
		}
	}
	return out, nil
}

// measure times fn and counts the S3 requests both servers served and the
// CPU they used meanwhile. fn returns how long a job was EXAMINING.
func (b *bench) measure(ctx context.Context, fn func(ctx context.Context) (time.Duration, error)) (result, error) {
	srcBefore, err := s3Requests(ctx, b.src.MAPIURL)
	if err != nil {
		return result{}, err
	}
	dstBefore, err := s3Requests(ctx, b.dst.MAPIURL)
	if err != nil {
		return result{}, err
	}
	srcCPU, _ := quarryproc.ProcessCPU(b.src.PID())
	dstCPU, _ := quarryproc.ProcessCPU(b.dst.PID())
	start := time.Now()
	examining, err := fn(ctx)
	elapsed := time.Since(start)
	if err != nil {
		return result{}, err
	}
	srcCPUAfter, srcOK := quarryproc.ProcessCPU(b.src.PID())
	dstCPUAfter, dstOK := quarryproc.ProcessCPU(b.dst.PID())
	r := result{elapsed: elapsed, examining: examining}
	if srcOK && dstOK {
		r.srcCPU, r.dstCPU = srcCPUAfter-srcCPU, dstCPUAfter-dstCPU
	}
	srcAfter, err := s3Requests(ctx, b.src.MAPIURL)
	if err != nil {
		return result{}, err
	}
	dstAfter, err := s3Requests(ctx, b.dst.MAPIURL)
	if err != nil {
		return result{}, err
	}
	r.srcRequests, r.dstRequests = delta(srcBefore, srcAfter), delta(dstBefore, dstAfter)
	return r, nil
}

// replicate runs BATCH_REPLICATE on bucket and checks that it copied all
// count objects; it returns how long the job was EXAMINING.
func (b *bench) replicate(ctx context.Context, bucket string, count int) (time.Duration, error) {
	st, examining, err := runBatchReplicate(ctx, b.mapi, bucket, jobPoll)
	if err != nil {
		return examining, err
	}
	if st.JobState != "COMPLETE" || st.JobStats.Processed != int64(count) || st.JobStats.Failed != 0 || st.JobStats.Skipped != 0 {
		return examining, fmt.Errorf("job %d ended %s (%s) with %+v; want COMPLETE with %d processed, none failed or skipped",
			st.JobID.ID, st.JobState, st.Message, st.JobStats, count)
	}
	return examining, nil
}

// delta is after - before, per operation, without the zeros.
func delta(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for op, v := range after {
		if d := v - before[op]; d > 0 {
			out[op] = d
		}
	}
	return out
}
