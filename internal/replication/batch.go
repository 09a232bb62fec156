package replication

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/outbox"
)

// BATCH_REPLICATE parameters, besides dryRun and prefix.
const (
	// ParamReplicationFilter selects objects: FilterAll (default),
	// FilterNew or FilterFailed.
	ParamReplicationFilter = "replicationFilter"
	// ParamDestination limits the job to one destination (a target ARN
	// named by the bucket's configuration).
	ParamDestination = "destination"
)

// Values of ParamReplicationFilter.
const (
	// FilterAll: every current object the configuration selects.
	FilterAll = "ALL"
	// FilterNew: objects never replicated to the destination.
	FilterNew = "NEW"
	// FilterFailed: objects whose last replication to the destination failed.
	FilterFailed = "FAILED"
)

// Defaults of BatchConfig's zero fields.
const (
	DefaultBatchConcurrency = 16
	// batchPageSize is how many current objects one checkpoint covers.
	batchPageSize = 256
)

// BatchConfig configures the BATCH_REPLICATE runner.
type BatchConfig struct {
	// Meta is the store holding the bucket configurations; it defaults
	// to the job engine's store.
	Meta meta.Store
	// Service resolves the destinations, checked before any copy: a job
	// whose destination is misconfigured fails at once. Optional.
	Service *Service
	Copier  ObjectCopier
	// Concurrency is how many copies run at once (default 16).
	Concurrency int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now (the clock of the destination breaker).
	Now func() time.Time
}

// BatchRunner runs BATCH_REPLICATE: it copies the bucket's current objects
// to the destinations of its replication configuration, through the same
// copy routine as live replication, a checkpointed page at a time.
//
// Phases: EXAMINING counts the candidates (stats.total); PROCESSING scans
// the current objects from the cursor, copies each page's candidates and
// checkpoints the page: its stats, failures, cursor and the objects'
// replication states commit together.
//
// An object is looked for at a destination (a HEAD; same size and ETag:
// skipped, not sent) only where it may be there already: when it has a
// replication state at that destination, and on the first page of a
// resumed run, which the interrupted run may have copied in part. A
// version never replicated to a destination costs one PUT there.
type BatchRunner struct {
	cfg BatchConfig
}

var _ job.Runner = (*BatchRunner)(nil)

// NewBatchRunner returns the runner.
func NewBatchRunner(cfg BatchConfig) *BatchRunner {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultBatchConcurrency
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &BatchRunner{cfg: cfg}
}

// Type implements job.Runner.
func (*BatchRunner) Type() string { return job.TypeBatchReplicate }

// Validate implements job.Runner.
func (*BatchRunner) Validate(params map[string]string) error {
	for k, v := range params {
		switch k {
		case ParamReplicationFilter:
			if v != FilterAll && v != FilterNew && v != FilterFailed {
				return fmt.Errorf("%w: %s must be %s, %s or %s, not %q",
					job.ErrInvalidParams, k, FilterAll, FilterNew, FilterFailed, v)
			}
		case ParamDestination:
			if !strings.HasPrefix(v, "arn:") {
				return fmt.Errorf("%w: %s must be a replication target ARN, not %q", job.ErrInvalidParams, k, v)
			}
		default:
			return job.UnknownParam(job.TypeBatchReplicate, k)
		}
	}
	return nil
}

// CheckBucket implements job.BucketChecker: a destination parameter must be
// one of the bucket's configuration's destinations. A bucket without a
// configuration is left to Run, whose FAILED job says so.
func (*BatchRunner) CheckBucket(b *meta.Bucket, params map[string]string) error {
	dest, ok := params[ParamDestination]
	if !ok || b.Replication == nil {
		return nil
	}
	cfg, err := DecodeConfig(b.Replication)
	if err != nil {
		return nil // Run reports an unreadable configuration
	}
	if !slices.Contains(cfg.Destinations(), dest) {
		return fmt.Errorf("%w: %s %q is not a destination of bucket %s's replication configuration",
			job.ErrInvalidParams, ParamDestination, dest, b.Name)
	}
	return nil
}

// batchCursor is where a job resumes: after the last key whose page was
// checkpointed.
type batchCursor struct {
	After string `json:"after,omitempty"`
}

func (c batchCursor) encode() []byte {
	b, _ := json.Marshal(c) // plain struct: cannot fail
	return b
}

func decodeBatchCursor(b []byte) (batchCursor, error) {
	var c batchCursor
	if len(b) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("corrupt checkpoint cursor: %w", err)
	}
	return c, nil
}

// batchRun is one run of a job.
type batchRun struct {
	cfg     BatchConfig
	run     *job.Run
	store   meta.Store
	bucket  string
	prefix  string
	filter  string
	dryRun  bool
	sel     *selector
	breaker *outbox.Breaker
	// resumed: this run took over a job past EXAMINING, so its first
	// page may be partly at the destinations already.
	resumed bool
}

// Run implements job.Runner.
func (b *BatchRunner) Run(ctx context.Context, r *job.Run) error {
	j := r.Job()
	br := &batchRun{
		cfg:     b.cfg,
		run:     r,
		store:   cmp.Or(b.cfg.Meta, r.Meta()),
		bucket:  j.Bucket,
		prefix:  j.Params[job.ParamPrefix],
		filter:  cmp.Or(j.Params[ParamReplicationFilter], FilterAll),
		dryRun:  job.BoolParam(j.Params, job.ParamDryRun),
		breaker: outbox.NewBreaker(b.cfg.Now),
		resumed: j.State != meta.JobExamining,
	}
	sel, err := br.loadSelector(ctx, j.Params[ParamDestination])
	if err != nil {
		return err
	}
	br.sel = sel
	switch j.State {
	case meta.JobExamining:
		if err := br.examine(ctx); err != nil {
			return err
		}
		fallthrough
	case meta.JobProcessing, meta.JobExecuting:
		return br.scan(ctx)
	}
	return fmt.Errorf("job is in unexpected state %s", j.State)
}

// loadSelector reads the bucket's configuration and checks the
// destinations: no configuration, a destination it does not name, or a
// destination that cannot be resolved fails the job with that message.
func (br *batchRun) loadSelector(ctx context.Context, destination string) (*selector, error) {
	var raw []byte
	err := br.store.View(ctx, func(tx meta.Tx) error {
		b, err := tx.GetBucket(br.bucket)
		if errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("bucket %s no longer exists", br.bucket)
		}
		if err != nil {
			return fmt.Errorf("read bucket %s: %w", br.bucket, err)
		}
		raw = b.Replication
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("bucket %s has no replication configuration", br.bucket)
	}
	cfg, err := DecodeConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", br.bucket, err)
	}
	sel := newSelector(cfg, destination)
	if destination != "" && len(sel.dests) == 0 {
		return nil, fmt.Errorf("destination %s is not a destination of an enabled rule of bucket %s's replication configuration", destination, br.bucket)
	}
	if len(sel.dests) == 0 {
		return nil, fmt.Errorf("bucket %s's replication configuration has no enabled rule", br.bucket)
	}
	if br.cfg.Service != nil {
		for _, d := range sel.dests {
			if _, _, err := br.cfg.Service.Target(ctx, d); err != nil {
				return nil, fmt.Errorf("destination misconfigured: %w", err)
			}
		}
	}
	return sel, nil
}

// candidate is a current object and the destinations it is to be copied to.
type candidate struct {
	v     meta.Version
	dests []destination
}

// destination is where a candidate goes, and whether it may be there
// already (it has a replication state there: the copy checks first).
type destination struct {
	arn     string
	tracked bool
}

// page reads the next current objects after cur and picks the candidates.
// n is how many objects it read, last the last key read ("" when none);
// more is false at the end.
func (br *batchRun) page(ctx context.Context, cur batchCursor) (cands []candidate, n int, last string, more bool, err error) {
	err = br.store.View(ctx, func(tx meta.Tx) error {
		versions, err := tx.ListLatest(br.bucket, br.prefix, cur.After, batchPageSize)
		if err != nil {
			return fmt.Errorf("list objects of %s: %w", br.bucket, err)
		}
		n = len(versions)
		more = len(versions) == batchPageSize
		if len(versions) > 0 {
			last = versions[len(versions)-1].Key
		}
		for _, v := range versions {
			var states []meta.VersionReplication
			// A version's summed-up status is set with its first state:
			// without one it has none to read.
			if v.ReplicationStatus != meta.ReplicationNone {
				states, err = tx.ListVersionReplication(v.Bucket, v.Key, v.VersionID)
				if err != nil {
					return fmt.Errorf("replication states of %s: %w", v.Key, err)
				}
			}
			if dests := br.sel.destinations(&v, states, br.filter); len(dests) > 0 {
				cands = append(cands, candidate{v: v, dests: dests})
			}
		}
		return nil
	})
	return cands, n, last, more, err
}

// examine counts the candidates into stats.total and moves the job to
// PROCESSING. A job that finds none says why in its message.
func (br *batchRun) examine(ctx context.Context) error {
	var (
		total, current int64
		cur            batchCursor
	)
	for {
		cands, n, last, more, err := br.page(ctx, cur)
		if err != nil {
			return err
		}
		total += int64(len(cands))
		current += int64(n)
		if !more {
			break
		}
		cur.After = last
	}
	cp := job.Checkpoint{
		State:  meta.JobProcessing,
		Cursor: batchCursor{}.encode(),
		Delta:  meta.JobStats{Total: total},
	}
	if total == 0 {
		cp.Message = br.nothingToDo(current)
	}
	return br.run.Checkpoint(ctx, cp)
}

// nothingToDo words why a job found no candidate among the current
// objects it examined.
func (br *batchRun) nothingToDo(current int64) string {
	where := "the bucket"
	if br.prefix != "" {
		where = fmt.Sprintf("the bucket under prefix %q", br.prefix)
	}
	if current == 0 {
		return fmt.Sprintf("nothing to replicate: %s holds no current objects", where)
	}
	switch br.filter {
	case FilterNew:
		return fmt.Sprintf("nothing to replicate: of %d current object(s) in %s, none that a rule selects is unreplicated (replicationFilter=%s)", current, where, FilterNew)
	case FilterFailed:
		return fmt.Sprintf("nothing to replicate: of %d current object(s) in %s, none that a rule selects failed its last replication (replicationFilter=%s)", current, where, FilterFailed)
	}
	return fmt.Sprintf("nothing to replicate: none of the %d current object(s) in %s is selected by an enabled rule of the replication configuration (or all are replicas)", current, where)
}

// scan copies the candidates a page at a time from the cursor on.
func (br *batchRun) scan(ctx context.Context) error {
	cur, err := decodeBatchCursor(br.run.Job().Cursor)
	if err != nil {
		return err
	}
	for {
		cands, _, last, more, err := br.page(ctx, cur)
		if err != nil {
			return err
		}
		if last != "" {
			cur.After = last
		}
		cp := job.Checkpoint{Cursor: cur.encode()}
		// A dry run asks each destination whether the object is there
		// already, as a copy would, and sends nothing.
		results := br.copyAll(ctx, cands, br.resumed || br.dryRun)
		br.resumed = false
		if err := ctx.Err(); err != nil {
			// Not checkpointed: the page is redone on resume, and
			// what it copied is found in place.
			return err
		}
		states := br.account(cands, results, &cp)
		if err := br.record(ctx, states); err != nil {
			return err
		}
		if err := br.run.Checkpoint(ctx, cp); err != nil || !more {
			return err
		}
	}
}

// copyResult is the outcome of one object's copy to one destination.
type copyResult struct {
	outcome Outcome
	err     error
}

// copyAll copies every candidate to each of its destinations with
// Concurrency workers; results[i][j] is candidate i at its destination j.
// checkAll makes every copy check the destination first.
func (br *batchRun) copyAll(ctx context.Context, cands []candidate, checkAll bool) [][]copyResult {
	type item struct{ i, j int }
	results := make([][]copyResult, len(cands))
	denied := br.checkAccess(ctx, cands)
	items := make(chan item)
	var wg sync.WaitGroup
	for range min(br.cfg.Concurrency, len(cands)) {
		wg.Go(func() {
			for it := range items {
				c := &cands[it.i]
				d := c.dests[it.j]
				if err := denied[d.arn]; err != nil {
					results[it.i][it.j] = copyResult{err: err}
					continue
				}
				results[it.i][it.j] = br.copyOne(ctx, &c.v, d.arn, CopyOptions{
					CheckExisting: checkAll || d.tracked, DryRun: br.dryRun, AccessChecked: true,
				})
			}
		})
	}
feed:
	for i := range cands {
		results[i] = make([]copyResult, len(cands[i].dests))
		for j := range cands[i].dests {
			select {
			case items <- item{i, j}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(items)
	wg.Wait()
	return results
}

// checkAccess asks once, for each destination of the page's candidates,
// whether the bucket's owner may use it, and returns the refusals by
// destination: a copy per object would ask per object, which costs a
// metadata read as dear as reading the object. A grant withdrawn while a
// page is copied takes effect from the next page.
func (br *batchRun) checkAccess(ctx context.Context, cands []candidate) map[string]error {
	denied := make(map[string]error)
	checked := make(map[string]bool)
	for _, c := range cands {
		for _, d := range c.dests {
			if checked[d.arn] {
				continue
			}
			checked[d.arn] = true
			if err := br.cfg.Copier.CheckAccess(ctx, br.bucket, d.arn); err != nil {
				denied[d.arn] = err
			}
		}
	}
	return denied
}

// copyOne copies v to dest unless the destination is known to be down.
func (br *batchRun) copyOne(ctx context.Context, v *meta.Version, dest string, opts CopyOptions) copyResult {
	if err := br.breaker.Allow(dest); err != nil {
		return copyResult{err: err}
	}
	out, err := br.cfg.Copier.Copy(ctx, br.bucket, v.Key, v.VersionID, dest, opts)
	recordReach(br.breaker, dest, err)
	return copyResult{outcome: out, err: err}
}

// account turns a page's results into the checkpoint: stats, failures and
// the replication state of each object at each destination, set in the
// checkpoint's transaction (not in a dry run, which changes nothing).
//
// Each candidate is counted once: failed if a destination failed,
// processed if it was sent to at least one, skipped otherwise (in place
// at every destination, or deleted or replaced since it was listed).
func (br *batchRun) account(cands []candidate, results [][]copyResult, cp *job.Checkpoint) []meta.VersionReplication {
	var states []meta.VersionReplication
	now := br.run.Now()
	for i, c := range cands {
		var (
			reasons []string
			sent    int64
			copied  bool
		)
		for j, d := range c.dests {
			dest, res := d.arn, results[i][j]
			state := meta.VersionReplication{Bucket: br.bucket, Key: c.v.Key, VersionID: c.v.VersionID, TargetARN: dest, Updated: now}
			switch {
			case res.err == nil:
				sent += res.outcome.Bytes
				copied = copied || !res.outcome.Skipped
				state.Status = meta.ReplicationCompleted
				states = append(states, state)
			case errors.Is(res.err, ErrSourceGone) || errors.Is(res.err, ErrSuperseded):
				// Deleted or replaced since the listing: no fault, and
				// nothing to record on a version that is no longer current.
			default:
				reasons = append(reasons, fmt.Sprintf("destination %s: %v", dest, res.err))
				state.Status, state.Error = meta.ReplicationFailed, res.err.Error()
				states = append(states, state)
			}
		}
		cp.Delta.Bytes += sent
		switch {
		case len(reasons) > 0:
			cp.Delta.Failed++
			cp.Failures = append(cp.Failures, meta.JobFailure{Key: c.v.Key, VersionID: c.v.VersionID, Reason: strings.Join(reasons, "; ")})
		case copied:
			cp.Delta.Processed++
		default:
			cp.Delta.Skipped++
		}
	}
	if br.dryRun {
		return nil
	}
	return states
}

// recordChunk is how many replication states one transaction of record
// writes.
const recordChunk = 32

// record writes the replication states of a page, recordChunk to a
// transaction, before the page's checkpoint. Not in the checkpoint's own
// transaction: the states are written on version rows that clients may be
// changing at the same moment, and on PostgreSQL one transaction over a
// whole page of them under a stream of writes loses the serialisation
// conflict time after time, failing the job; small transactions slip
// through. A crash between them and the checkpoint is harmless: the page is
// done again, finds its objects in place, and writes the same states.
func (br *batchRun) record(ctx context.Context, states []meta.VersionReplication) error {
	for chunk := range slices.Chunk(states, recordChunk) {
		err := br.store.Update(ctx, func(tx meta.Tx) error {
			for _, s := range chunk {
				err := tx.SetVersionReplication(s)
				if err != nil && !errors.Is(err, meta.ErrNotFound) {
					return fmt.Errorf("record replication of %s to %s: %w", s.Key, s.TargetARN, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// selector decides, from a bucket's configuration, which destinations an
// object is copied to. It picks rules as live replication does
// (Config.RulesFor), so both agree on what a rule selects.
type selector struct {
	cfg *Config
	// dests are the destinations in scope (of enabled rules; only the
	// job's destination parameter when given), sorted.
	dests []string
}

func newSelector(cfg *Config, destination string) *selector {
	s := &selector{cfg: cfg}
	for _, r := range cfg.Rules {
		if !r.Enabled || (destination != "" && r.DestinationARN != destination) {
			continue
		}
		if !slices.Contains(s.dests, r.DestinationARN) {
			s.dests = append(s.dests, r.DestinationARN)
		}
	}
	slices.Sort(s.dests)
	return s
}

// destinations returns the destinations v is to be copied to under filter,
// given its replication states (by target). For each destination the rule
// that applies to v decides. A replica is never copied.
//
// The job is the user's explicit request to copy what exists, as AWS's
// Batch Replication is: objects that predate a rule are copied whether or
// not the rule enables ExistingObjectReplication (that flag concerns what
// replication does on its own, not what a user asks for).
func (s *selector) destinations(v *meta.Version, states []meta.VersionReplication, filter string) []destination {
	if v.DeleteMarker || v.ReplicationStatus == meta.ReplicationReplica {
		return nil
	}
	var out []destination
	for _, rule := range s.cfg.RulesFor(v.Key, v.Tags) {
		d := rule.DestinationARN
		if !slices.Contains(s.dests, d) {
			continue
		}
		status, tracked := statusAt(states, d)
		switch filter {
		case FilterNew:
			if status != meta.ReplicationNone {
				continue
			}
		case FilterFailed:
			if status != meta.ReplicationFailed {
				continue
			}
		}
		out = append(out, destination{arn: d, tracked: tracked})
	}
	return out
}

// statusAt returns the state of a version at target, and whether it has one.
func statusAt(states []meta.VersionReplication, target string) (meta.ReplicationStatus, bool) {
	for _, s := range states {
		if s.TargetARN == target {
			return s.Status, true
		}
	}
	return meta.ReplicationNone, false
}
