package job

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// DefaultPhaseReportEvery is how often, at most, a runner records how far
// it is through work that the counters do not show.
const DefaultPhaseReportEvery = time.Second

// PhaseProgress is how far a job is through the work of its current state
// when that work is not the candidates the counters count (the orphan
// search that ends a METRIC_RECONCILIATION with verifyData, say). Runners
// record it in the job's result under "phase" while they work; the
// result the job ends with replaces it. It is part of the wire contract
// (docs/MAPI.md, "Phase progress").
type PhaseProgress struct {
	// State is the job state the work belongs to: a client shows the
	// phase only while the job is in it.
	State meta.JobState `json:"state"`
	// Step says what is being done, for people.
	Step string `json:"step"`
	// Unit is what Done and Total count ("blobs", "buckets").
	Unit string `json:"unit"`
	Done int64  `json:"done"`
	// Total is how many there are, 0 when unknown; Estimated says it is
	// a guess that Done may pass.
	Total     int64 `json:"total,omitempty"`
	Estimated bool  `json:"estimated,omitempty"`
}

// phaseResult is the result a job carries while it reports a phase.
type phaseResult struct {
	Phase PhaseProgress `json:"phase"`
}

// PhaseReporter records a runner's PhaseProgress with a checkpoint that
// changes nothing else, at most once per interval: often enough for a
// watcher, rarely enough to cost nothing. Each report is also a point at
// which a cancel is noticed (ErrCancelled).
type PhaseReporter struct {
	run   *Run
	every time.Duration
	last  time.Time
}

// NewPhaseReporter returns a reporter for r that records at most once per
// every (DefaultPhaseReportEvery when not positive).
func NewPhaseReporter(r *Run, every time.Duration) *PhaseReporter {
	if every <= 0 {
		every = DefaultPhaseReportEvery
	}
	return &PhaseReporter{run: r, every: every}
}

// Report records p unless the last report is more recent than the
// interval.
func (pr *PhaseReporter) Report(ctx context.Context, p PhaseProgress) error {
	now := pr.run.Now()
	if !pr.last.IsZero() && now.Sub(pr.last) < pr.every {
		return nil
	}
	pr.last = now
	b, err := json.Marshal(phaseResult{Phase: p})
	if err != nil {
		return fmt.Errorf("encode phase progress: %w", err)
	}
	return pr.run.Checkpoint(ctx, Checkpoint{Result: b})
}
