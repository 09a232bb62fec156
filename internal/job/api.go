// Package job is Quarry's durable job engine: jobs are rows in the metadata
// store, taken by workers under a renewed lease, run as checkpointed scans
// whose progress commits in the same transaction as the changes it records,
// and taken over from their last checkpoint when a worker or process dies.
package job

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Job types (MAPI jobType).
const (
	TypeBatchReplicate        = "BATCH_REPLICATE"
	TypeLifecycleUpdate       = "LIFECYCLE_UPDATE"
	TypeMetricReconciliation  = "METRIC_RECONCILIATION"
	TypeTriggerReconciliation = "TRIGGER_RECONCILIATION"
)

// Types lists the MAPI jobType values, in the order the MAPI documents
// them. It is the one list of job types: the engine, the MAPI and the CLI
// read it; the runners that implement them live with their domains
// (replication, lifecycle, usage, notify).
func Types() []string {
	return []string{TypeBatchReplicate, TypeLifecycleUpdate, TypeMetricReconciliation, TypeTriggerReconciliation}
}

// IsType reports whether t is one of Types.
func IsType(t string) bool { return slices.Contains(Types(), t) }

// Errors the engine's API returns (possibly wrapped). Bucket errors come from
// the object service (object.ErrNoSuchBucket, object.ErrAccessDenied); an
// active job of the same type gives *meta.ActiveJobError.
var (
	// ErrUnknownType: jobType is not one of the four types.
	ErrUnknownType = errors.New("unknown job type")
	// ErrUnsupportedType: a known type this build does not run yet.
	ErrUnsupportedType = errors.New("job type not supported yet")
	// ErrInvalidParams: an unknown jobParams key or a bad value; the
	// wrapped message says which.
	ErrInvalidParams = errors.New("invalid job parameters")
	// ErrNotFound: no job with that id, or none the caller may see (a
	// job on a bucket it does not own is answered as missing).
	ErrNotFound = errors.New("no such job")
	// ErrEnded: cancel of a job that already ended COMPLETE or FAILED.
	ErrEnded = errors.New("job already ended")
)

// ListFilter selects jobs for List. Zero fields do not filter.
type ListFilter struct {
	Bucket   string
	UserID   int64
	Type     string
	State    meta.JobState
	PageSize int    // default 100, max 1000
	Token    string // opaque, from a previous page
}

// API is what the management API needs from the engine.
type API interface {
	Create(ctx context.Context, p auth.Principal, jobType, bucket string, params map[string]string) (*meta.Job, error)
	Get(ctx context.Context, p auth.Principal, id int32) (*meta.Job, error)
	List(ctx context.Context, p auth.Principal, f ListFilter) (jobs []meta.Job, nextToken string, err error)
	Cancel(ctx context.Context, p auth.Principal, id int32) (*meta.Job, error)
	Failures(ctx context.Context, p auth.Principal, id int32, pageSize int, token string) (failures []meta.JobFailure, nextToken string, err error)
}

// DefaultRetention is how long finished jobs are kept.
const DefaultRetention = 30 * 24 * time.Hour
