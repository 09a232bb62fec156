package usage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

// METRIC_RECONCILIATION parameters, besides dryRun and prefix.
const (
	// ParamVerifyData: also check every version's data in the blob store
	// and look for orphaned blobs.
	ParamVerifyData = "verifyData"
	// ParamCleanOrphans: remove the orphans found (needs verifyData).
	ParamCleanOrphans = "cleanOrphans"
)

// Defaults for MetricReconciliation's zero fields.
const (
	DefaultReconBatch = 1000
	DefaultOrphanAge  = time.Hour
)

// MetricReconciliation runs METRIC_RECONCILIATION: it recounts a bucket's
// usage from its version rows and corrects the stored counters, optionally
// verifying object data and finding orphaned blobs.
//
// Phases: EXAMINING counts the candidates (stats.total); PROCESSING scans
// every version in (key, seq) order, a checkpointed batch at a time;
// EXECUTING finds orphans (reporting its progress in the result's
// "phase", see job.PhaseProgress) and corrects the counters in one transaction.
type MetricReconciliation struct {
	// BatchSize is how many version rows one checkpoint covers.
	BatchSize int
	// OrphanAge: unreferenced blobs younger than this may belong to a
	// write in progress and are never orphans.
	OrphanAge time.Duration
	// PhaseReportEvery is how often, at most, the orphan search records
	// its progress in the job's result (default job.DefaultPhaseReportEvery).
	PhaseReportEvery time.Duration
}

// NewMetricReconciliation returns the runner with default settings.
func NewMetricReconciliation() *MetricReconciliation {
	return &MetricReconciliation{BatchSize: DefaultReconBatch, OrphanAge: DefaultOrphanAge}
}

// Type implements job.Runner.
func (*MetricReconciliation) Type() string { return job.TypeMetricReconciliation }

// Validate implements job.Runner.
func (*MetricReconciliation) Validate(params map[string]string) error {
	for k, v := range params {
		switch k {
		case ParamVerifyData, ParamCleanOrphans:
			if _, err := job.ParseBool(k, v); err != nil {
				return err
			}
		default:
			return job.UnknownParam(job.TypeMetricReconciliation, k)
		}
	}
	if job.BoolParam(params, ParamCleanOrphans) && !job.BoolParam(params, ParamVerifyData) {
		return fmt.Errorf("%w: %s=true needs %s=true", job.ErrInvalidParams, ParamCleanOrphans, ParamVerifyData)
	}
	return nil
}

// reconCursor is where a reconciliation resumes: the last version row
// whose checkpoint committed, or Done once the counters were settled.
type reconCursor struct {
	AfterKey string `json:"afterKey,omitempty"`
	AfterSeq int64  `json:"afterSeq,omitempty"`
	Done     bool   `json:"done,omitempty"`
}

func (c reconCursor) encode() []byte {
	b, _ := json.Marshal(c) // plain struct: cannot fail
	return b
}

func decodeReconCursor(b []byte) (reconCursor, error) {
	var c reconCursor
	if len(b) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("corrupt checkpoint cursor: %w", err)
	}
	return c, nil
}

// reconciliation is one run of the job.
type reconciliation struct {
	m      *MetricReconciliation
	run    *job.Run
	bucket string
	prefix string
	dryRun bool
	verify bool
	clean  bool
}

// Run implements job.Runner: it resumes at the phase of the last checkpoint.
func (m *MetricReconciliation) Run(ctx context.Context, r *job.Run) error {
	j := r.Job()
	rc := &reconciliation{
		m:      m,
		run:    r,
		bucket: j.Bucket,
		prefix: j.Params[job.ParamPrefix],
		dryRun: job.BoolParam(j.Params, job.ParamDryRun),
		verify: job.BoolParam(j.Params, ParamVerifyData),
		clean:  job.BoolParam(j.Params, ParamCleanOrphans),
	}
	cur, err := decodeReconCursor(j.Cursor)
	if err != nil {
		return err
	}
	if cur.Done {
		return nil
	}
	switch j.State {
	case meta.JobExamining:
		if err := rc.examine(ctx); err != nil {
			return err
		}
		fallthrough
	case meta.JobProcessing:
		if err := rc.scan(ctx); err != nil {
			return err
		}
		fallthrough
	case meta.JobExecuting:
		return rc.settle(ctx)
	}
	return fmt.Errorf("job is in unexpected state %s", j.State)
}

func (m *MetricReconciliation) batchSize() int {
	if m.BatchSize <= 0 {
		return DefaultReconBatch
	}
	return m.BatchSize
}

func (m *MetricReconciliation) orphanAge() time.Duration {
	if m.OrphanAge <= 0 {
		return DefaultOrphanAge
	}
	return m.OrphanAge
}

// bucketGone turns the store's "not found" for the job's bucket into the
// message a user should read.
func (rc *reconciliation) bucketGone(err error) error {
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("bucket %s no longer exists", rc.bucket)
	}
	return err
}

// examine counts the candidates (every version row under the prefix,
// delete markers included: they are candidates the scan skips) into
// stats.total and moves the job to PROCESSING.
func (rc *reconciliation) examine(ctx context.Context) error {
	var total int64
	err := rc.run.Meta().View(ctx, func(tx meta.Tx) error {
		var err error
		total, err = tx.CountVersions(rc.bucket, rc.prefix)
		return rc.bucketGone(err)
	})
	if err != nil {
		return fmt.Errorf("count versions of %s: %w", rc.bucket, err)
	}
	cp := job.Checkpoint{
		State:  meta.JobProcessing,
		Cursor: reconCursor{}.encode(),
		Delta:  meta.JobStats{Total: total},
	}
	if total == 0 {
		cp.Message = "no version to recount: the bucket holds no objects"
		if rc.prefix != "" {
			cp.Message = fmt.Sprintf("no version to recount: the bucket holds no objects under prefix %q", rc.prefix)
		}
	}
	return rc.run.Checkpoint(ctx, cp)
}

// page reads the next batch of version rows after cur.
func (rc *reconciliation) page(ctx context.Context, cur reconCursor) ([]meta.Version, error) {
	var page []meta.Version
	err := rc.run.Meta().View(ctx, func(tx meta.Tx) error {
		var err error
		page, err = tx.ListVersions(rc.bucket, rc.prefix, cur.AfterKey, cur.AfterSeq, rc.m.batchSize())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", rc.bucket, err)
	}
	return page, nil
}
