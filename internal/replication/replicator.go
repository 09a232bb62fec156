package replication

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Defaults for ReplicatorConfig's zero fields.
const (
	DefaultReplicatorWorkers = 8
	DefaultReplicatorLease   = 30 * time.Second
	DefaultMaxAttempts       = 6
	DefaultBackoffBase       = time.Second
	DefaultBackoffMax        = 5 * time.Minute
	DefaultReplicatorPoll    = time.Second
)

// recordTimeout bounds the recording of a task's outcome, which goes on
// when the replicator is stopping: a finished copy should not be redone.
const recordTimeout = 5 * time.Second

// Signals passed to ReplicatorConfig.Signal, for tests to wait on.
const (
	SignalClaimed   = "claimed"   // a batch of tasks was claimed
	SignalCompleted = "completed" // a task's copy succeeded (or was not needed)
	SignalDropped   = "dropped"   // a task's source was gone: nothing to do
	SignalRetried   = "retried"   // a task failed and was rescheduled
	SignalFailed    = "failed"    // a task failed for the last time
)

// ObjectCopier is what the replicator needs from a Copier.
type ObjectCopier interface {
	Copy(ctx context.Context, bucket, key, versionID, targetARN string, opts CopyOptions) (Outcome, error)
	ReplicateDeleteMarker(ctx context.Context, bucket, key, targetARN string) error
}

// ReplicatorConfig configures a Replicator.
type ReplicatorConfig struct {
	Meta   meta.Store
	Copier ObjectCopier
	// Workers is how many copies run at once (default 8).
	Workers int
	// Lease is how long a claimed task stays with this replicator before
	// another may take it (default 30s). Copies are idempotent, so a copy
	// outliving its lease is at worst done twice.
	Lease time.Duration
	// MaxAttempts is how many failed attempts make a task FAILED (default 6).
	MaxAttempts int
	// BackoffBase and BackoffMax bound the delay between attempts
	// (defaults 1s and 5m), doubled per attempt, with jitter.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Poll is how often an idle replicator looks for due tasks (default 1s).
	Poll time.Duration
	// InstanceID names this replicator as a lease owner; it must differ
	// between processes sharing a store (default host-pid).
	InstanceID string
	Logger     *slog.Logger
	Now        func() time.Time
	// Signal, if set, is called at each Signal* event.
	Signal func(event string)
}

// Replicator drains the replication outbox: it claims due tasks, copies
// them with a pool of workers and records each outcome with the task's
// removal or rescheduling in one transaction. The outbox lives in the
// metadata store, so pending work survives restarts.
type Replicator struct {
	cfg  ReplicatorConfig
	wake chan struct{}
	// done tells the loop that a worker freed up.
	done chan struct{}

	mu sync.Mutex
	// inflight are the ids of the tasks being worked on: a task whose
	// lease expired while its copy runs can be claimed again by this
	// replicator, and must not be started twice.
	inflight map[int64]bool
	// keys holds, for each bucket/key being worked on, the tasks of that
	// key waiting for it: tasks of one key run in order, one at a time.
	keys map[string][]meta.ReplicationTask
}

// NewReplicator returns a Replicator; call Run to start it.
func NewReplicator(cfg ReplicatorConfig) *Replicator {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultReplicatorWorkers
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultReplicatorLease
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultReplicatorPoll
	}
	if cfg.InstanceID == "" {
		host, _ := os.Hostname()
		cfg.InstanceID = fmt.Sprintf("%s-%d-replicator", host, os.Getpid())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Replicator{
		cfg:      cfg,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}, 1),
		inflight: make(map[int64]bool),
		keys:     make(map[string][]meta.ReplicationTask),
	}
}

// Notify wakes the replicator at once (after a commit enqueued tasks).
func (r *Replicator) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox until ctx ends, then waits for the copies in
// flight to stop (they see ctx too) and returns nil.
func (r *Replicator) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		// A full claim may leave more due tasks: a worker freeing up
		// (done) triggers the next claim.
		if free := r.cfg.Workers - r.inflightCount(); free > 0 && ctx.Err() == nil {
			tasks, err := r.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				r.cfg.Logger.Error("replication: claim tasks", "err", err)
			}
			for _, t := range tasks {
				r.dispatch(ctx, &wg, t)
			}
		}
		timer.Reset(r.cfg.Poll)
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-r.done:
		case <-timer.C:
		}
	}
}

func (r *Replicator) signal(event string) {
	if r.cfg.Signal != nil {
		r.cfg.Signal(event)
	}
}

func (r *Replicator) now() time.Time { return r.cfg.Now().UTC() }

// update runs fn in a transaction that completes even if ctx ended.
func (r *Replicator) update(ctx context.Context, fn func(tx meta.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return r.cfg.Meta.Update(ctx, fn)
}

func (r *Replicator) inflightCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.inflight)
}

// claim leases up to limit due tasks.
func (r *Replicator) claim(ctx context.Context, limit int) ([]meta.ReplicationTask, error) {
	var tasks []meta.ReplicationTask
	now := r.now()
	err := r.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		tasks, err = tx.ClaimReplicationTasks(r.cfg.InstanceID, now, now.Add(r.cfg.Lease), limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim replication tasks: %w", err)
	}
	if len(tasks) > 0 {
		r.signal(SignalClaimed)
	}
	return tasks, nil
}

// dispatch starts a worker for t, or queues t behind the task of the same
// key in flight. A task already in flight (claimed again after its lease
// expired) is ignored.
func (r *Replicator) dispatch(ctx context.Context, wg *sync.WaitGroup, t meta.ReplicationTask) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight[t.ID] {
		return
	}
	r.inflight[t.ID] = true
	k := t.Bucket + "\x00" + t.Key
	if queue, busy := r.keys[k]; busy {
		r.keys[k] = append(queue, t)
		return
	}
	r.keys[k] = nil
	wg.Go(func() { r.work(ctx, k, t) })
}

// work handles t, then the tasks of the same key queued behind it.
func (r *Replicator) work(ctx context.Context, k string, t meta.ReplicationTask) {
	for {
		r.handle(ctx, t)
		r.mu.Lock()
		delete(r.inflight, t.ID)
		queue := r.keys[k]
		if len(queue) == 0 {
			delete(r.keys, k)
			r.mu.Unlock()
			break
		}
		t, r.keys[k] = queue[0], queue[1:]
		r.mu.Unlock()
	}
	select {
	case r.done <- struct{}{}:
	default:
	}
}

// handle copies one task and records the outcome.
func (r *Replicator) handle(ctx context.Context, t meta.ReplicationTask) {
	if ctx.Err() != nil {
		r.release(ctx, t)
		return
	}
	var err error
	if t.DeleteMarker {
		err = r.cfg.Copier.ReplicateDeleteMarker(ctx, t.Bucket, t.Key, t.TargetARN)
	} else {
		// A first attempt copies straight away: the version was just
		// written. A retry may find it in place (an earlier attempt
		// stored it but failed after), so it asks the destination first.
		_, err = r.cfg.Copier.Copy(ctx, t.Bucket, t.Key, t.VersionID, t.TargetARN, CopyOptions{CheckExisting: t.Attempts > 0})
	}
	switch {
	case err == nil || errors.Is(err, ErrSuperseded):
		// A superseded version counts as replicated: the newer state of
		// its key is on its way to the destination by its own task.
		r.finish(ctx, t, meta.ReplicationCompleted, "", SignalCompleted)
	case errors.Is(err, ErrSourceGone):
		r.drop(ctx, t)
	case errors.Is(err, ErrTargetNotPermitted):
		// Not a fault a retry can cure: the bucket's owner lost (or never
		// had) the right to use the target. FAILED now, with the reason;
		// a BATCH_REPLICATE of FAILED objects copies it once granted.
		r.cfg.Logger.Warn("replication: target not permitted", "bucket", t.Bucket, "key", t.Key,
			"version", t.VersionID, "target", t.TargetARN, "err", err)
		r.finish(ctx, t, meta.ReplicationFailed, err.Error(), SignalFailed)
	case ctx.Err() != nil:
		// Stopping: the attempt did not fail, it was interrupted.
		r.release(ctx, t)
	default:
		r.fail(ctx, t, err)
	}
}

// finish records the final state of t's version at its target and
// removes t, in one transaction.
func (r *Replicator) finish(ctx context.Context, t meta.ReplicationTask, status meta.ReplicationStatus, reason, event string) {
	err := r.update(ctx, func(tx meta.Tx) error {
		err := tx.SetVersionReplication(meta.VersionReplication{
			Bucket: t.Bucket, Key: t.Key, VersionID: t.VersionID, TargetARN: t.TargetARN,
			Status: status, Error: reason, Updated: r.now(),
		})
		// The version may have been deleted since: only the task is left.
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("set replication state: %w", err)
		}
		return deleteTask(tx, t.ID)
	})
	if err != nil {
		// The task stays leased and is retried once the lease expires;
		// the copy is idempotent.
		r.cfg.Logger.Error("replication: record outcome", "task", t.ID, "bucket", t.Bucket, "key", t.Key, "err", err)
		return
	}
	r.signal(event)
}

// drop removes a task whose source is gone.
func (r *Replicator) drop(ctx context.Context, t meta.ReplicationTask) {
	err := r.update(ctx, func(tx meta.Tx) error { return deleteTask(tx, t.ID) })
	if err != nil {
		r.cfg.Logger.Error("replication: drop task", "task", t.ID, "err", err)
		return
	}
	r.signal(SignalDropped)
}

// fail records a failed attempt: FAILED once MaxAttempts is reached,
// otherwise rescheduled after a growing delay.
func (r *Replicator) fail(ctx context.Context, t meta.ReplicationTask, cause error) {
	attempts := t.Attempts + 1
	reason := cause.Error()
	if attempts >= r.cfg.MaxAttempts {
		r.cfg.Logger.Warn("replication: giving up", "bucket", t.Bucket, "key", t.Key,
			"version", t.VersionID, "target", t.TargetARN, "attempts", attempts, "err", cause)
		r.finish(ctx, t, meta.ReplicationFailed, reason, SignalFailed)
		return
	}
	next := r.now().Add(retryDelay(attempts, r.cfg.BackoffBase, r.cfg.BackoffMax, randomJitter()))
	err := r.update(ctx, func(tx meta.Tx) error {
		return tx.RetryReplicationTask(t.ID, attempts, next, reason)
	})
	if err != nil {
		r.cfg.Logger.Error("replication: reschedule task", "task", t.ID, "err", err)
		return
	}
	r.cfg.Logger.Debug("replication: attempt failed", "bucket", t.Bucket, "key", t.Key,
		"target", t.TargetARN, "attempt", attempts, "next", next, "err", cause)
	r.signal(SignalRetried)
}

// release gives a claimed task back at once, unchanged, when the
// replicator stops, so that the next one need not wait for the lease.
func (r *Replicator) release(ctx context.Context, t meta.ReplicationTask) {
	err := r.update(ctx, func(tx meta.Tx) error {
		return tx.RetryReplicationTask(t.ID, t.Attempts, r.now(), t.LastError)
	})
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		r.cfg.Logger.Warn("replication: release task", "task", t.ID, "err", err)
	}
}

// deleteTask removes a task; one already removed (by another replicator
// that took it over) is fine.
func deleteTask(tx meta.Tx, id int64) error {
	if err := tx.DeleteReplicationTask(id); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("delete task %d: %w", id, err)
	}
	return nil
}
