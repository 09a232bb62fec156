package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Defaults for Config's zero fields.
const (
	DefaultWorkers        = 16
	DefaultPerDestination = 8
	DefaultLease          = 30 * time.Second
	DefaultMaxAttempts    = 6
	DefaultBackoffBase    = time.Second
	DefaultBackoffMax     = 5 * time.Minute
	DefaultPoll           = time.Second
	DefaultRetention      = 24 * time.Hour
)

// purgeEvery is how often the drainer removes DONE entries past the
// retention, and purgeBatch how many one statement removes.
const (
	purgeEvery = time.Minute
	purgeBatch = 1000
)

// recordTimeout bounds the recording of an outcome, which goes on when the
// drainer is stopping: a finished delivery should not be redone.
const recordTimeout = 5 * time.Second

// unknownKindDelay is how long an entry of a kind this drainer has no
// delivery for is put back before it is claimed again (by a node that has
// one, in a cluster being upgraded).
const unknownKindDelay = time.Minute

// Signals passed to Config.Signal, for tests to wait on.
const (
	SignalClaimed   = "claimed"   // a batch of entries was claimed
	SignalCompleted = "completed" // an entry was carried out
	SignalDropped   = "dropped"   // an entry had nothing to do
	SignalRetried   = "retried"   // an attempt failed and the entry was rescheduled
	SignalFailed    = "failed"    // an entry failed for the last time
	SignalPurged    = "purged"    // a purge of old DONE entries ran
)

// Config configures a Drainer.
type Config struct {
	Meta meta.Store
	// Deliveries carry out the entries, by kind.
	Deliveries map[string]Delivery
	// Workers is how many entries are carried out at once (default 16).
	Workers int
	// PerDestination is how many of them may be for one destination
	// (default 8), so that a slow destination leaves workers to the others.
	PerDestination int
	// Lease is how long a claimed entry stays with this drainer before
	// another may take it (default 30s). Deliveries are idempotent, so one
	// outliving its lease is at worst done twice.
	Lease time.Duration
	// MaxAttempts is how many failed attempts make an entry FAILED
	// (default 6).
	MaxAttempts int
	// BackoffBase and BackoffMax bound the delay between attempts
	// (defaults 1s and 5m), doubled per attempt, with jitter.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Poll is how often an idle drainer looks for due entries (default 1s).
	Poll time.Duration
	// Retention is how long DONE entries are kept (default 24h); a
	// negative value keeps them for ever.
	Retention time.Duration
	// InstanceID names this drainer as a lease owner; it must differ
	// between processes sharing a store (default host-pid).
	InstanceID string
	Logger     *slog.Logger
	Now        func() time.Time
	// Signal, if set, is called at each Signal* event with the entry's
	// kind ("" for claims and purges).
	Signal func(event, kind string)
}

// Drainer drains the outbox: it claims due entries, carries them out with a
// pool of workers and records each outcome in one transaction with what
// its delivery records. The outbox lives in the metadata store, so pending
// work survives restarts, and any number of drainers may share a store.
type Drainer struct {
	cfg     Config
	breaker *Breaker
	wake    chan struct{}
	// done tells the loop that a worker freed up.
	done chan struct{}

	mu sync.Mutex
	// inflight are the entries being worked on: one whose lease expired
	// while it runs can be claimed again by this drainer, and must not be
	// started twice.
	inflight map[int64]bool
	// busy counts the entries in flight per destination.
	busy map[string]int
}

// New returns a Drainer; call Run to start it.
func New(cfg Config) *Drainer {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.PerDestination <= 0 {
		cfg.PerDestination = min(DefaultPerDestination, cfg.Workers)
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
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
		cfg.Poll = DefaultPoll
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.InstanceID == "" {
		host, _ := os.Hostname()
		cfg.InstanceID = fmt.Sprintf("%s-%d-outbox", host, os.Getpid())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Drainer{
		cfg:      cfg,
		breaker:  NewBreaker(cfg.Now),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}, 1),
		inflight: make(map[int64]bool),
		busy:     make(map[string]int),
	}
}

// Notify wakes the drainer at once (after a commit that enqueued entries).
func (d *Drainer) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox until ctx ends, then waits for the deliveries in
// flight to stop (they see ctx too) and returns nil.
func (d *Drainer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	nextPurge := d.now()
	for {
		// A full claim may leave more due entries: a worker freeing up
		// (done) triggers the next claim.
		if free := d.cfg.Workers - d.inflightCount(); free > 0 && ctx.Err() == nil {
			entries, err := d.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				d.cfg.Logger.Error("outbox: claim entries", "err", err)
			}
			for _, e := range entries {
				d.dispatch(ctx, &wg, e)
			}
		}
		if now := d.now(); d.cfg.Retention > 0 && !now.Before(nextPurge) && ctx.Err() == nil {
			d.purge(ctx, now)
			nextPurge = now.Add(purgeEvery)
		}
		timer.Reset(d.cfg.Poll)
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-d.done:
		case <-timer.C:
		}
	}
}

func (d *Drainer) signal(event, kind string) {
	if d.cfg.Signal != nil {
		d.cfg.Signal(event, kind)
	}
}

func (d *Drainer) now() time.Time { return d.cfg.Now().UTC() }

// update runs fn in a transaction that completes even if ctx ended.
func (d *Drainer) update(ctx context.Context, fn func(tx meta.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return d.cfg.Meta.Update(ctx, fn)
}

func (d *Drainer) inflightCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.inflight)
}

// claim leases up to limit due entries, leaving out destinations that have
// their share of workers already.
func (d *Drainer) claim(ctx context.Context, limit int) ([]meta.OutboxEntry, error) {
	d.mu.Lock()
	busy := maps.Clone(d.busy)
	d.mu.Unlock()
	var entries []meta.OutboxEntry
	now := d.now()
	err := d.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
		var err error
		entries, err = tx.ClaimOutbox(meta.OutboxClaim{
			Owner: d.cfg.InstanceID, Now: now, Until: now.Add(d.cfg.Lease), Limit: limit,
			PerDestination: d.cfg.PerDestination, Busy: busy,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox entries: %w", err)
	}
	if len(entries) > 0 {
		d.signal(SignalClaimed, "")
	}
	return entries, nil
}

// dispatch starts a worker for e; an entry already in flight (claimed
// again after its lease expired) is left to the worker that has it.
func (d *Drainer) dispatch(ctx context.Context, wg *sync.WaitGroup, e meta.OutboxEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight[e.ID] {
		return
	}
	d.inflight[e.ID] = true
	d.busy[e.Destination]++
	wg.Go(func() {
		d.handle(ctx, e)
		d.mu.Lock()
		delete(d.inflight, e.ID)
		if d.busy[e.Destination]--; d.busy[e.Destination] <= 0 {
			delete(d.busy, e.Destination)
		}
		d.mu.Unlock()
		select {
		case d.done <- struct{}{}:
		default:
		}
	})
}

// handle carries out one entry and records the outcome.
func (d *Drainer) handle(ctx context.Context, e meta.OutboxEntry) {
	if ctx.Err() != nil {
		d.release(ctx, e, d.now())
		return
	}
	delivery := d.cfg.Deliveries[e.Kind]
	if delivery == nil {
		d.cfg.Logger.Error("outbox: no delivery for this kind of entry", "kind", e.Kind, "entry", e.ID)
		d.release(ctx, e, d.now().Add(unknownKindDelay))
		return
	}
	if err := d.breaker.Allow(e.Destination); err != nil {
		d.fail(ctx, e, delivery, err)
		return
	}
	err := delivery.Deliver(ctx, e)
	switch {
	case err == nil:
		d.breaker.Reached(e.Destination)
		d.finish(ctx, e, delivery, meta.OutboxDone, nil, SignalCompleted)
	case errors.Is(err, ErrNothingToDo):
		d.finish(ctx, e, delivery, meta.OutboxDone, err, SignalDropped)
	case errors.Is(err, ErrPermanent):
		d.breaker.Reached(e.Destination)
		d.cfg.Logger.Warn("outbox: permanent failure", "kind", e.Kind, "bucket", e.Bucket, "key", e.Key,
			"destination", e.Destination, "err", err)
		d.finish(ctx, e, delivery, meta.OutboxFailed, err, SignalFailed)
	case ctx.Err() != nil:
		// Stopping: the attempt did not fail, it was interrupted.
		d.release(ctx, e, d.now())
	default:
		if errors.Is(err, ErrUnreachable) {
			d.breaker.Unreachable(e.Destination, err)
		} else {
			d.breaker.Reached(e.Destination)
		}
		d.fail(ctx, e, delivery, err)
	}
}

// finish ends e in state with what its delivery records, in one
// transaction.
func (d *Drainer) finish(ctx context.Context, e meta.OutboxEntry, delivery Delivery, state meta.OutboxState, cause error, event string) {
	reason := ""
	if state == meta.OutboxFailed && cause != nil {
		reason = cause.Error()
	}
	err := d.update(ctx, func(tx meta.Tx) error {
		if r, ok := delivery.(Recorder); ok {
			if err := r.Record(tx, e, state, cause); err != nil {
				return fmt.Errorf("record %s outcome: %w", e.Kind, err)
			}
		}
		return tx.SettleOutbox(e.ID, d.cfg.InstanceID, meta.OutboxSettle{
			State: state, Attempts: e.Attempts + 1, NextAttempt: e.NextAttempt, LastError: reason, At: d.now(),
		})
	})
	if err != nil {
		d.settleFailed(e, err)
		return
	}
	d.signal(event, e.Kind)
}

// settleFailed logs an outcome that could not be recorded. The entry stays
// leased and is tried again once the lease expires; deliveries are
// idempotent. An entry taken over by another claimer, or gone with its
// bucket, is theirs or nobody's: no error.
func (d *Drainer) settleFailed(e meta.OutboxEntry, err error) {
	if errors.Is(err, meta.ErrNotLeased) || errors.Is(err, meta.ErrNotFound) {
		d.cfg.Logger.Debug("outbox: entry taken over or gone before its outcome was recorded", "entry", e.ID, "err", err)
		return
	}
	d.cfg.Logger.Error("outbox: record outcome", "entry", e.ID, "kind", e.Kind, "bucket", e.Bucket, "key", e.Key, "err", err)
}

// fail records a failed attempt: FAILED once MaxAttempts is reached,
// otherwise rescheduled after a growing delay.
func (d *Drainer) fail(ctx context.Context, e meta.OutboxEntry, delivery Delivery, cause error) {
	attempts := e.Attempts + 1
	if attempts >= d.cfg.MaxAttempts {
		d.cfg.Logger.Warn("outbox: giving up", "kind", e.Kind, "bucket", e.Bucket, "key", e.Key,
			"destination", e.Destination, "attempts", attempts, "err", cause)
		d.finish(ctx, e, delivery, meta.OutboxFailed, cause, SignalFailed)
		return
	}
	next := d.now().Add(RetryDelay(attempts, d.cfg.BackoffBase, d.cfg.BackoffMax, Jitter()))
	err := d.update(ctx, func(tx meta.Tx) error {
		return tx.SettleOutbox(e.ID, d.cfg.InstanceID, meta.OutboxSettle{
			State: meta.OutboxPending, Attempts: attempts, NextAttempt: next, LastError: cause.Error(), At: d.now(),
		})
	})
	if err != nil {
		d.settleFailed(e, err)
		return
	}
	d.cfg.Logger.Debug("outbox: attempt failed", "kind", e.Kind, "bucket", e.Bucket, "key", e.Key,
		"destination", e.Destination, "attempt", attempts, "next", next, "err", cause)
	d.signal(SignalRetried, e.Kind)
}

// release gives a claimed entry back unchanged, due at next, so that the
// next drainer need not wait for the lease.
func (d *Drainer) release(ctx context.Context, e meta.OutboxEntry, next time.Time) {
	err := d.update(ctx, func(tx meta.Tx) error {
		return tx.SettleOutbox(e.ID, d.cfg.InstanceID, meta.OutboxSettle{
			State: meta.OutboxPending, Attempts: e.Attempts, NextAttempt: next, LastError: e.LastError, At: e.UpdatedAt,
		})
	})
	if err != nil && !errors.Is(err, meta.ErrNotFound) && !errors.Is(err, meta.ErrNotLeased) {
		d.cfg.Logger.Warn("outbox: release entry", "entry", e.ID, "err", err)
	}
}

// purge removes DONE entries older than the retention, a batch per
// transaction so that the writer is never held long.
func (d *Drainer) purge(ctx context.Context, now time.Time) {
	cut := now.Add(-d.cfg.Retention)
	for ctx.Err() == nil {
		var n int
		err := d.cfg.Meta.Update(ctx, func(tx meta.Tx) error {
			var err error
			n, err = tx.PurgeOutbox(cut, purgeBatch)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				d.cfg.Logger.Warn("outbox: purge delivered entries", "err", err)
			}
			return
		}
		if n < purgeBatch {
			break
		}
	}
	d.signal(SignalPurged, "")
}
