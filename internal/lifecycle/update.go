package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
)

// Defaults for UpdateRunner's zero fields.
const (
	// DefaultBatch is how many version rows (or uploads) one checkpoint
	// covers.
	DefaultBatch = 1000
	// conflictBudget is how long a checkpoint of more than one row may go
	// on losing conflicts with concurrent writers (on a store that has
	// them) before the job splits its batch: a batch of 1,000 keys that
	// clients keep writing may never get through whole.
	conflictBudget = 300 * time.Millisecond
)

// UpdateRunner runs LIFECYCLE_UPDATE: it applies the bucket's lifecycle
// configuration now, to every object version, delete marker and multipart
// upload under the job's prefix. The background scanner runs the same job
// once a lifecycle day.
//
// Phases: EXAMINING counts the candidates (version rows and uploads);
// PROCESSING goes through the version rows a batch of whole keys at a time,
// then through the uploads. Each batch is read, judged and acted on in the
// transaction of its checkpoint, with the cursor advance: a resumed job
// neither acts twice nor misses a batch, and judges what is stored when it
// acts.
type UpdateRunner struct {
	// Day is the length of a lifecycle day (default DefaultDay).
	Day time.Duration
	// Batch is how many rows one checkpoint covers (default DefaultBatch).
	Batch int
}

var (
	_ job.Runner        = (*UpdateRunner)(nil)
	_ job.BucketChecker = (*UpdateRunner)(nil)
)

// Type implements job.Runner.
func (*UpdateRunner) Type() string { return job.TypeLifecycleUpdate }

// Validate implements job.Runner: the job takes only dryRun and prefix.
func (*UpdateRunner) Validate(params map[string]string) error {
	for k := range params {
		return job.UnknownParam(job.TypeLifecycleUpdate, k)
	}
	return nil
}

// CheckBucket implements job.BucketChecker: a bucket without a lifecycle
// configuration has no rules to apply, which the user is told at once.
func (*UpdateRunner) CheckBucket(b *meta.Bucket, _ map[string]string) error {
	if len(b.Lifecycle) == 0 {
		return fmt.Errorf("%w: bucket %s has no lifecycle configuration: put one first (PutBucketLifecycleConfiguration)", job.ErrInvalidParams, b.Name)
	}
	return nil
}

func (u *UpdateRunner) day() time.Duration {
	if u.Day <= 0 {
		return DefaultDay
	}
	return u.Day
}

func (u *UpdateRunner) batch() int {
	if u.Batch <= 0 {
		return DefaultBatch
	}
	return u.Batch
}

// Phases of the scan, in the cursor.
const (
	phaseVersions = "versions"
	phaseUploads  = "uploads"
	phaseDone     = "done"
)

// updateCursor is where a job resumes.
type updateCursor struct {
	Phase string `json:"phase"`
	// AfterKey and AfterSeq: the last version row handled (versions).
	AfterKey string `json:"afterKey,omitempty"`
	AfterSeq int64  `json:"afterSeq,omitempty"`
	// UploadKey and UploadID: the last upload handled (uploads).
	UploadKey string `json:"uploadKey,omitempty"`
	UploadID  string `json:"uploadId,omitempty"`
}

func (c updateCursor) encode() []byte {
	b, _ := json.Marshal(c) // plain struct: cannot fail
	return b
}

// Result is LIFECYCLE_UPDATE's result: additive fields of the job status,
// counting the actions taken (in a dry run, the actions that would be).
type Result struct {
	// Expired: current objects expired (a delete marker added in a
	// versioned bucket, the object removed in an unversioned one).
	Expired int64 `json:"expired"`
	// NoncurrentExpired: noncurrent versions removed for good.
	NoncurrentExpired int64 `json:"noncurrentExpired"`
	// DeleteMarkersRemoved: expired object delete markers removed.
	DeleteMarkersRemoved int64 `json:"deleteMarkersRemoved"`
	// UploadsAborted: incomplete multipart uploads aborted.
	UploadsAborted int64 `json:"uploadsAborted"`
	// BytesFreed: stored bytes no version or part refers to any more.
	BytesFreed int64 `json:"bytesFreed"`
}

func (r *Result) add(o Result) {
	r.Expired += o.Expired
	r.NoncurrentExpired += o.NoncurrentExpired
	r.DeleteMarkersRemoved += o.DeleteMarkersRemoved
	r.UploadsAborted += o.UploadsAborted
	r.BytesFreed += o.BytesFreed
}

// update is one run of a job.
type update struct {
	u      *UpdateRunner
	run    *job.Run
	bucket string
	prefix string
	dryRun bool
	// size is how many rows the next checkpoint covers: the runner's
	// batch, a quarter of it after each conflict that ran out of budget,
	// and half as large again after each checkpoint that got through.
	size int
}

// Run implements job.Runner.
func (u *UpdateRunner) Run(ctx context.Context, r *job.Run) error {
	j := r.Job()
	up := &update{u: u, run: r, bucket: j.Bucket, prefix: j.Params[job.ParamPrefix], dryRun: job.BoolParam(j.Params, job.ParamDryRun), size: u.batch()}
	if j.State == meta.JobExamining {
		if err := up.examine(ctx); err != nil {
			return err
		}
	}
	for {
		cur, err := up.cursor()
		if err != nil {
			return err
		}
		if cur.Phase == phaseDone {
			return nil
		}
		err = up.step(ctx, cur)
		switch {
		case errors.Is(err, meta.ErrConflict) && up.size > 1:
			up.size = max(up.size/4, 1)
			r.Logger().Info("lifecycle batch keeps conflicting with concurrent writes: splitting it", "rows", up.size, "err", err)
		case err != nil:
			return err
		default:
			up.size = min(up.size+up.size/2+1, u.batch())
		}
	}
}

func (up *update) cursor() (updateCursor, error) {
	var c updateCursor
	if err := json.Unmarshal(up.run.Job().Cursor, &c); err != nil {
		return c, fmt.Errorf("corrupt checkpoint cursor: %w", err)
	}
	return c, nil
}

// examine counts the candidates: every version row and every multipart
// upload under the prefix.
func (up *update) examine(ctx context.Context) error {
	var total int64
	var rules int
	err := up.run.Meta().View(ctx, func(tx meta.Tx) error {
		cfg, _, err := up.config(tx)
		if err != nil {
			return err
		}
		rules = len(cfg.Rules)
		if total, err = tx.CountVersions(up.bucket, up.prefix); err != nil {
			return fmt.Errorf("count versions: %w", err)
		}
		n, err := countUploads(tx, up.bucket, up.prefix)
		total += n
		return err
	})
	if err != nil {
		return err
	}
	cp := job.Checkpoint{
		State:  meta.JobProcessing,
		Cursor: updateCursor{Phase: phaseVersions}.encode(),
		Delta:  meta.JobStats{Total: total},
		Result: mustJSON(Result{}),
	}
	if total == 0 {
		where := "the bucket"
		if up.prefix != "" {
			where = fmt.Sprintf("the bucket under prefix %q", up.prefix)
		}
		cp.Message = fmt.Sprintf("nothing to evaluate: %s holds no objects, versions or multipart uploads (%d rule(s) configured)", where, rules)
	}
	return up.run.Checkpoint(ctx, cp)
}

// config reads the bucket and its lifecycle configuration in tx: a job
// whose bucket or configuration is gone fails, saying so.
func (up *update) config(tx meta.Tx) (*Config, *meta.Bucket, error) {
	b, err := tx.GetBucket(up.bucket)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil, fmt.Errorf("bucket %s no longer exists", up.bucket)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read bucket %s: %w", up.bucket, err)
	}
	if len(b.Lifecycle) == 0 {
		return nil, nil, fmt.Errorf("bucket %s no longer has a lifecycle configuration", up.bucket)
	}
	cfg, err := DecodeConfig(b.Lifecycle)
	if err != nil {
		return nil, nil, fmt.Errorf("bucket %s: %w", up.bucket, err)
	}
	return cfg, b, nil
}

// step judges and acts on the next batch in one checkpoint.
func (up *update) step(ctx context.Context, cur updateCursor) error {
	var prev Result
	if err := json.Unmarshal(up.run.Job().Result, &prev); err != nil {
		return fmt.Errorf("corrupt job result: %w", err)
	}
	now := up.run.Now()
	if up.size > 1 {
		// Split rather than wait out the store's budget (see Run); a
		// single row gets the store's whole budget.
		ctx = meta.WithConflictBudget(ctx, conflictBudget)
	}
	return up.run.Checkpoint(ctx, job.Checkpoint{
		Apply: func(tx meta.Tx, cp *job.Checkpoint) error {
			cfg, bk, err := up.config(tx)
			if err != nil {
				return err
			}
			var ch *object.Change
			if !up.dryRun {
				if ch, err = up.run.Objects().Begin(tx, up.bucket); err != nil {
					return err
				}
				// What a rule removes is reported as a lifecycle
				// expiration, not as a client's delete.
				ch.SetCause(object.CauseLifecycle)
			}
			b := batch{up: up, tx: tx, ch: ch, cfg: cfg, now: now, unversioned: bk.Versioning == meta.VersioningOff}
			next := cur
			switch cur.Phase {
			case phaseVersions:
				next, err = b.versions(cur)
			case phaseUploads:
				next, err = b.uploads(cur)
			}
			if err != nil {
				return err
			}
			if ch != nil {
				b.res.BytesFreed = -ch.Delta().VersionBytes + b.partBytes
				if err := ch.Finish(); err != nil {
					return err
				}
				cp.AfterCommit = ch.Committed
			} else {
				b.res.BytesFreed += b.partBytes
			}
			// prev stays as the last checkpoint left it: Update may run
			// this again, which must not add the batch twice.
			total := prev
			total.add(b.res)
			cp.Delta = b.stats
			cp.Delta.Bytes = b.res.BytesFreed
			cp.Cursor = next.encode()
			cp.Result = mustJSON(total)
			return nil
		},
	})
}

// batch is the work of one checkpoint.
type batch struct {
	up  *update
	tx  meta.Tx
	ch  *object.Change // nil in a dry run
	cfg *Config
	now time.Time
	// unversioned: the bucket was never versioned, so expiring an object
	// removes it (and frees its bytes) instead of adding a delete marker.
	unversioned bool

	stats meta.JobStats
	res   Result
	// partBytes: bytes of the parts of the uploads aborted (or that
	// would be), which the usage counters do not count.
	partBytes int64
}

// versions handles the next batch of whole keys after cur and returns the
// cursor after them.
func (b *batch) versions(cur updateCursor) (updateCursor, error) {
	keys, more, err := readKeys(b.tx, b.up.bucket, b.up.prefix, cur.AfterKey, cur.AfterSeq, b.up.size)
	if err != nil {
		return cur, err
	}
	for _, vs := range keys {
		if err := b.judgeKey(vs); err != nil {
			return cur, err
		}
		last := vs[len(vs)-1]
		cur.AfterKey, cur.AfterSeq = last.Key, last.Seq
	}
	if !more {
		return updateCursor{Phase: phaseUploads}, nil
	}
	return cur, nil
}

// judgeKey evaluates every version of one key, newest first, against the
// rules and acts on those due.
func (b *batch) judgeKey(vs []meta.Version) error {
	for i := range vs {
		v := &vs[i]
		lv := Version{
			Key: v.Key, Size: v.Size, Tags: v.Tags, ModTime: v.LastModified,
			IsLatest: v.IsLatest, DeleteMarker: v.DeleteMarker,
			OtherVersions: len(vs) - 1,
		}
		if i > 0 {
			// Noncurrent since its successor was written; i-1 noncurrent
			// versions are newer than it.
			lv.NoncurrentSince = vs[i-1].LastModified
			lv.NewerNoncurrent = i - 1
		}
		d := b.cfg.Evaluate(lv, b.now, b.up.u.day())
		acted, err := b.act(v, d)
		if err != nil {
			return err
		}
		if acted {
			b.stats.Processed++
		} else {
			b.stats.Skipped++
		}
	}
	return nil
}

// act carries out d on v (unless a dry run) and reports whether there was
// anything to do.
func (b *batch) act(v *meta.Version, d Decision) (bool, error) {
	switch d.Action {
	case ExpireCurrent:
		if !v.IsLatest || v.DeleteMarker {
			return false, nil
		}
		b.res.Expired++
		if b.ch != nil {
			if _, err := b.ch.DeleteCurrent(v.Key, b.ch.Bucket().OwnerID); err != nil {
				return false, fmt.Errorf("expire %s (rule %s): %w", v.Key, d.RuleID, err)
			}
		} else if b.unversioned {
			b.res.BytesFreed += v.Size
		}
	case DeleteVersion, DeleteMarker:
		if d.Action == DeleteMarker {
			b.res.DeleteMarkersRemoved++
		} else {
			b.res.NoncurrentExpired++
		}
		if b.ch != nil {
			if _, err := b.ch.DeleteVersion(v.Key, v.VersionID); err != nil {
				return false, fmt.Errorf("remove %s version %s (rule %s): %w", v.Key, v.VersionID, d.RuleID, err)
			}
		} else if !v.DeleteMarker {
			b.res.BytesFreed += v.Size
		}
	default:
		return false, nil
	}
	return true, nil
}

// uploads handles the next batch of multipart uploads after cur.
func (b *batch) uploads(cur updateCursor) (updateCursor, error) {
	limit := b.up.size
	ups, err := b.tx.ListUploads(b.up.bucket, b.up.prefix, cur.UploadKey, cur.UploadID, limit)
	if err != nil {
		return cur, fmt.Errorf("list uploads: %w", err)
	}
	for _, u := range ups {
		cur.UploadKey, cur.UploadID = u.Key, u.ID
		d := b.cfg.EvaluateUpload(u.Key, u.Initiated, b.now, b.up.u.day())
		if d.Action != AbortUpload {
			b.stats.Skipped++
			continue
		}
		size, err := uploadBytes(b.tx, u.ID)
		if err != nil {
			return cur, err
		}
		if b.ch != nil {
			if err := b.ch.AbortUpload(u.ID); err != nil {
				return cur, fmt.Errorf("abort upload %s of %s (rule %s): %w", u.ID, u.Key, d.RuleID, err)
			}
		}
		b.partBytes += size
		b.res.UploadsAborted++
		b.stats.Processed++
	}
	if len(ups) < limit {
		return updateCursor{Phase: phaseDone}, nil
	}
	return cur, nil
}

// readKeys reads version rows after (afterKey, afterSeq), at least limit of
// them when there are, and always every version of each key it returns (a
// key's versions are judged together). more is false once the end was
// reached.
func readKeys(tx meta.Tx, bucket, prefix, afterKey string, afterSeq int64, limit int) (keys [][]meta.Version, more bool, err error) {
	rows, err := tx.ListVersions(bucket, prefix, afterKey, afterSeq, limit)
	if err != nil {
		return nil, false, fmt.Errorf("list versions after %q: %w", afterKey, err)
	}
	more = len(rows) == limit
	// The last key may go on past the page: read the rest of it.
	for more && len(rows) > 0 {
		last := rows[len(rows)-1]
		rest, err := tx.ListVersions(bucket, last.Key, last.Key, last.Seq, limit)
		if err != nil {
			return nil, false, fmt.Errorf("list versions of %q: %w", last.Key, err)
		}
		n := 0
		for _, v := range rest {
			if v.Key != last.Key {
				break
			}
			rows = append(rows, v)
			n++
		}
		if n < len(rest) || len(rest) < limit {
			break
		}
	}
	for _, v := range rows {
		if len(keys) == 0 || keys[len(keys)-1][0].Key != v.Key {
			keys = append(keys, nil)
		}
		keys[len(keys)-1] = append(keys[len(keys)-1], v)
	}
	return keys, more, nil
}

// countUploads counts the multipart uploads under prefix.
func countUploads(tx meta.Tx, bucket, prefix string) (int64, error) {
	var n int64
	key, id := "", ""
	for {
		ups, err := tx.ListUploads(bucket, prefix, key, id, DefaultBatch)
		if err != nil {
			return 0, fmt.Errorf("count uploads: %w", err)
		}
		n += int64(len(ups))
		if len(ups) < DefaultBatch {
			return n, nil
		}
		key, id = ups[len(ups)-1].Key, ups[len(ups)-1].ID
	}
}

// uploadBytes is the size of an upload's parts.
func uploadBytes(tx meta.Tx, uploadID string) (int64, error) {
	var n int64
	after := 0
	for {
		parts, err := tx.ListParts(uploadID, after, DefaultBatch)
		if err != nil {
			return 0, fmt.Errorf("list parts of %s: %w", uploadID, err)
		}
		for _, p := range parts {
			n += p.Size
		}
		if len(parts) < DefaultBatch {
			return n, nil
		}
		after = parts[len(parts)-1].Number
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("lifecycle: encode %T: %v", v, err)) // plain structs: cannot fail
	}
	return b
}
