package usage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Counts is meta.Usage as the job result spells it.
type Counts struct {
	Objects      int64 `json:"objects"`
	Bytes        int64 `json:"bytes"`
	Versions     int64 `json:"versions"`
	VersionBytes int64 `json:"versionBytes"`
}

// CountsOf spells u as the job result does.
func CountsOf(u meta.Usage) Counts {
	return Counts{Objects: u.Objects, Bytes: u.Bytes, Versions: u.Versions, VersionBytes: u.VersionBytes}
}

// Result is METRIC_RECONCILIATION's result: additive fields of the
// job status.
type Result struct {
	// UsageBefore: the stored counters; UsageCounted: what the version
	// rows say; UsageAfter: the stored counters once the job ended.
	UsageBefore  Counts `json:"usageBefore"`
	UsageCounted Counts `json:"usageCounted"`
	UsageAfter   Counts `json:"usageAfter"`
	// Drift is counted minus stored.
	Drift     Counts `json:"drift"`
	Corrected bool   `json:"corrected"`
	// CorrectionSkipped says why drift was not corrected, when it was not
	// for a reason other than there being none.
	CorrectionSkipped string   `json:"correctionSkipped,omitempty"`
	OrphansFound      int64    `json:"orphansFound"`
	OrphansRemoved    int64    `json:"orphansRemoved"`
	Orphans           []string `json:"orphans"`
}

// settle finds orphans (with verifyData), then in ONE transaction reads
// the stored counters, recounts them from the version rows, corrects any
// drift and writes the result and the final cursor. Update transactions
// are serialised with every object write, so no concurrent PUT or DELETE
// can slip between the recount and the correction.
func (rc *reconciliation) settle(ctx context.Context) error {
	var orphans orphanReport
	if rc.verify {
		var err error
		if orphans, err = rc.findOrphans(ctx); err != nil {
			return err
		}
	}
	err := rc.run.Checkpoint(ctx, job.Checkpoint{
		State:  meta.JobExecuting,
		Cursor: reconCursor{Done: true}.encode(),
		Apply: func(tx meta.Tx, cp *job.Checkpoint) error {
			res, err := rc.correct(tx)
			if err != nil {
				return err
			}
			res.OrphansFound, res.OrphansRemoved = orphans.found, orphans.removed
			res.Orphans = append([]string{}, orphans.ids...)
			cp.Result, err = json.Marshal(res)
			return err
		},
	})
	// A cancel that arrived meanwhile ends the job CANCELLED, with the
	// correction it committed recorded in its result.
	return err
}

// correct compares and, unless told not to, corrects the bucket's
// counters within tx.
func (rc *reconciliation) correct(tx meta.Tx) (Result, error) {
	var res Result
	stored, err := tx.GetUsage(rc.bucket)
	if err != nil {
		return res, rc.bucketGone(err)
	}
	actual, err := tx.CountUsage(rc.bucket)
	if err != nil {
		return res, fmt.Errorf("recount usage of %s: %w", rc.bucket, rc.bucketGone(err))
	}
	drift := actual.Add(meta.Usage{
		Objects: -stored.Objects, Bytes: -stored.Bytes,
		Versions: -stored.Versions, VersionBytes: -stored.VersionBytes,
	})
	res.UsageBefore, res.UsageCounted, res.Drift = CountsOf(stored), CountsOf(actual), CountsOf(drift)
	res.UsageAfter = res.UsageBefore
	switch {
	case rc.prefix != "":
		res.CorrectionSkipped = "a prefix was given; the counters are bucket-wide, so only a job without prefix corrects them"
	case drift == meta.Usage{}:
	case rc.dryRun:
		res.CorrectionSkipped = "dry run"
	default:
		if err := tx.SetUsage(rc.bucket, actual); err != nil {
			return res, fmt.Errorf("correct usage of %s: %w", rc.bucket, err)
		}
		res.Corrected = true
		res.UsageAfter = CountsOf(actual)
	}
	return res, nil
}
