package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/outbox"
)

// TRIGGER_RECONCILIATION parameters, besides dryRun and prefix.
const (
	// ParamMode is ModeMissing (default) or ModeAll.
	ParamMode = "mode"
)

// Values of ParamMode.
const (
	// ModeMissing delivers every event of the bucket that was not
	// delivered: pending (still being retried) or FAILED.
	ModeMissing = "MISSING"
	// ModeAll sends an ObjectCreated:Reconciled event for every current
	// object to each trigger that reports object creations for its key.
	ModeAll = "ALL"
)

// Defaults of ReconConfig's zero fields.
const (
	DefaultReconConcurrency = 16
	DefaultReconPage        = 500
	DefaultReconAttempts    = 3
	DefaultReconBackoff     = 200 * time.Millisecond
	// DefaultReconLease is how long the events of a page stay with the
	// job before the live drainer may take them over (a job that died
	// leaves them to it).
	DefaultReconLease = 5 * time.Minute
)

// ReconConfig configures the TRIGGER_RECONCILIATION runner.
type ReconConfig struct {
	Service *Service
	// Concurrency is how many events are sent at once (default 16).
	Concurrency int
	// PageSize is how many events (MISSING) or objects (ALL) one
	// checkpoint covers (default 500).
	PageSize int
	// Attempts is how many times the job tries one event before it counts
	// it failed (default 3), waiting Backoff, then twice as long, between.
	Attempts int
	Backoff  time.Duration
	// Lease is how long the job holds the events of a page (default 5m).
	Lease time.Duration
	// Wait is how long a page waits for events another deliverer holds
	// (default the outbox drainer's lease and a little more).
	Wait time.Duration
}

// Reconciliation runs TRIGGER_RECONCILIATION. Both modes go through the
// outbox, so that every event, live or reconciled, has one id, one
// sequencer and one recorded state:
//
//   - MISSING takes the bucket's undelivered events (PENDING or FAILED) a
//     page at a time, by id, under the job's lease, sends them in order per
//     key and target, and records each outcome in the page's checkpoint.
//   - ALL writes, for each current object and each trigger that reports
//     its creation, an ObjectCreated:Reconciled event to the outbox, leased
//     to the job, sends it, and records it in the checkpoint. An event the
//     job could not send stays FAILED in the outbox, for a MISSING run.
//
// A candidate is an event: one per undelivered event (MISSING), one per
// current object and trigger (ALL). processed counts those delivered,
// failed those that still could not be (each in jobs/failures with the
// reason), skipped those that needed nothing (delivered by the live
// drainer meanwhile). The ALL mode's events are written once per object,
// trigger and job (a dedupe key), so a job resumed after a crash sends the
// same events again, under the same ids, rather than new ones.
type Reconciliation struct {
	cfg ReconConfig
}

var _ job.Runner = (*Reconciliation)(nil)

// NewReconciliation returns the runner.
func NewReconciliation(cfg ReconConfig) *Reconciliation {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultReconConcurrency
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultReconPage
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultReconAttempts
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultReconBackoff
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultReconLease
	}
	if cfg.Wait <= 0 {
		cfg.Wait = outbox.DefaultLease + 5*time.Second
	}
	return &Reconciliation{cfg: cfg}
}

// Type implements job.Runner.
func (*Reconciliation) Type() string { return job.TypeTriggerReconciliation }

// Validate implements job.Runner.
func (*Reconciliation) Validate(params map[string]string) error {
	for k, v := range params {
		switch k {
		case ParamMode:
			if v != ModeMissing && v != ModeAll {
				return fmt.Errorf("%w: %s must be %s or %s, not %q", job.ErrInvalidParams, k, ModeMissing, ModeAll, v)
			}
		default:
			return job.UnknownParam(job.TypeTriggerReconciliation, k)
		}
	}
	return nil
}

// reconCursor is where a job resumes: after the last event (MISSING) or
// key (ALL) whose page was checkpointed.
type reconCursor struct {
	AfterID  int64  `json:"afterId,omitempty"`
	AfterKey string `json:"afterKey,omitempty"`
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

// reconRun is one run of a job.
type reconRun struct {
	cfg    ReconConfig
	s      *Service
	run    *job.Run
	jobID  int32
	bucket string
	prefix string
	mode   string
	dryRun bool
	// owner leases the job's events: one name per job, so that a run that
	// took the job over takes back what its predecessor held at once.
	owner string
	// config is the bucket's notification configuration (ALL).
	config *Config
}

// Run implements job.Runner.
func (rc *Reconciliation) Run(ctx context.Context, r *job.Run) error {
	if rc.cfg.Service == nil {
		return errors.New("no notification service configured")
	}
	j := r.Job()
	run := &reconRun{
		cfg: rc.cfg, s: rc.cfg.Service, run: r, jobID: j.ID, bucket: j.Bucket,
		prefix: j.Params[job.ParamPrefix],
		mode:   cmp.Or(j.Params[ParamMode], ModeMissing),
		dryRun: job.BoolParam(j.Params, job.ParamDryRun),
		owner:  fmt.Sprintf("%s job %d", job.TypeTriggerReconciliation, j.ID),
	}
	if run.mode == ModeAll {
		if err := run.loadConfig(ctx); err != nil {
			return err
		}
	}
	switch j.State {
	case meta.JobExamining:
		if err := run.examine(ctx); err != nil {
			return err
		}
		fallthrough
	case meta.JobProcessing, meta.JobExecuting:
		return run.scan(ctx)
	}
	return fmt.Errorf("job is in unexpected state %s", j.State)
}

// loadConfig reads the bucket's notification configuration.
func (rr *reconRun) loadConfig(ctx context.Context) error {
	return rr.run.Meta().View(ctx, func(tx meta.Tx) error {
		b, err := tx.GetBucket(rr.bucket)
		if errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("bucket %s no longer exists", rr.bucket)
		}
		if err != nil {
			return fmt.Errorf("read bucket %s: %w", rr.bucket, err)
		}
		rr.config = &Config{}
		if len(b.Notification) > 0 {
			if rr.config, err = DecodeConfig(b.Notification); err != nil {
				return fmt.Errorf("bucket %s: %w", rr.bucket, err)
			}
		}
		return nil
	})
}

// where words the part of the bucket the job covers, for messages.
func (rr *reconRun) where() string {
	if rr.prefix != "" {
		return fmt.Sprintf("bucket %s under prefix %q", rr.bucket, rr.prefix)
	}
	return "bucket " + rr.bucket
}

// undelivered are the states of events still to deliver.
var undelivered = []meta.OutboxState{meta.OutboxPending, meta.OutboxFailed}

// examine counts the candidates into stats.total and moves the job to
// PROCESSING; a job that finds none says why.
func (rr *reconRun) examine(ctx context.Context) error {
	var (
		total   int64
		message string
	)
	var err error
	if rr.mode == ModeMissing {
		err = rr.run.Meta().View(ctx, func(tx meta.Tx) error {
			var err error
			total, err = tx.CountOutbox(meta.OutboxFilter{Kind: OutboxKind, Bucket: rr.bucket, Prefix: rr.prefix, States: undelivered})
			return err
		})
		if total == 0 {
			message = fmt.Sprintf("nothing to deliver: every event of %s was delivered", rr.where())
		}
	} else {
		var objects int64
		total, objects, err = rr.countAll(ctx)
		switch {
		case len(rr.config.Queues) == 0:
			message = fmt.Sprintf("nothing to deliver: bucket %s has no notification configuration", rr.bucket)
		case objects == 0:
			message = fmt.Sprintf("nothing to deliver: %s holds no current objects", rr.where())
		case total == 0:
			message = fmt.Sprintf("nothing to deliver: none of the %d current object(s) of %s matches a trigger that reports object creations", objects, rr.where())
		}
	}
	if err != nil {
		return fmt.Errorf("count candidates of %s: %w", rr.bucket, err)
	}
	return rr.run.Checkpoint(ctx, job.Checkpoint{
		State: meta.JobProcessing, Cursor: reconCursor{}.encode(), Delta: meta.JobStats{Total: total}, Message: message,
	})
}

// countAll counts the events ALL would send and the current objects.
func (rr *reconRun) countAll(ctx context.Context) (events, objects int64, err error) {
	after := ""
	for {
		page, err := rr.objects(ctx, after)
		if err != nil {
			return 0, 0, err
		}
		for _, v := range page {
			events += int64(len(rr.config.Created(v.Key)))
		}
		objects += int64(len(page))
		if len(page) < rr.cfg.PageSize {
			return events, objects, nil
		}
		after = page[len(page)-1].Key
	}
}

// objects lists the next page of current objects after key after.
func (rr *reconRun) objects(ctx context.Context, after string) ([]meta.Version, error) {
	var page []meta.Version
	err := rr.run.Meta().View(ctx, func(tx meta.Tx) error {
		var err error
		page, err = tx.ListLatest(rr.bucket, rr.prefix, after, rr.cfg.PageSize)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", rr.bucket, err)
	}
	return page, nil
}

// scan handles a page at a time from the cursor on.
func (rr *reconRun) scan(ctx context.Context) error {
	cur, err := decodeReconCursor(rr.run.Job().Cursor)
	if err != nil {
		return err
	}
	for {
		var (
			cp   job.Checkpoint
			more bool
		)
		if rr.mode == ModeMissing {
			cp, more, err = rr.missingPage(ctx, &cur)
		} else {
			cp, more, err = rr.allPage(ctx, &cur)
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			// Not checkpointed: the page is redone on resume.
			return ctx.Err()
		}
		cp.Cursor = cur.encode()
		if failed := rr.run.Job().Stats.Failed + cp.Delta.Failed; !more && failed > 0 {
			cp.Message = fmt.Sprintf("%d event(s) could not be delivered (listed by jobs/failures); they stay in the outbox for a later MISSING run", failed)
		}
		if err := rr.run.Checkpoint(ctx, cp); err != nil || !more {
			return err
		}
	}
}

// missingPage reads the next undelivered events after the cursor, takes
// them and delivers them.
func (rr *reconRun) missingPage(ctx context.Context, cur *reconCursor) (job.Checkpoint, bool, error) {
	var page []meta.OutboxEntry
	err := rr.run.Meta().View(ctx, func(tx meta.Tx) error {
		var err error
		page, err = tx.ListOutbox(meta.OutboxFilter{Kind: OutboxKind, Bucket: rr.bucket, Prefix: rr.prefix,
			States: undelivered, AfterID: cur.AfterID, Limit: rr.cfg.PageSize})
		return err
	})
	if err != nil {
		return job.Checkpoint{}, false, fmt.Errorf("list undelivered events of %s: %w", rr.bucket, err)
	}
	more := len(page) == rr.cfg.PageSize
	if len(page) > 0 {
		cur.AfterID = page[len(page)-1].ID
	}
	if rr.dryRun {
		return job.Checkpoint{Delta: meta.JobStats{Processed: int64(len(page))}}, more, nil
	}
	held, skipped, err := rr.take(ctx, page)
	if err != nil {
		return job.Checkpoint{}, false, err
	}
	outcomes := rr.deliverAll(ctx, held)
	cp := rr.account(held, outcomes)
	cp.Delta.Skipped += int64(skipped)
	return cp, more, nil
}

// take leases the page's events for the job. One another deliverer holds
// (the live drainer, sending it now) is waited for: once it is DONE there
// is nothing left to do (skipped); once free the job takes it. It returns
// the events held and how many needed nothing.
func (rr *reconRun) take(ctx context.Context, page []meta.OutboxEntry) (held []meta.OutboxEntry, skipped int, err error) {
	waiting := make([]int64, len(page))
	for i, e := range page {
		waiting[i] = e.ID
	}
	deadline := time.Now().Add(rr.cfg.Wait)
	pause := 20 * time.Millisecond
	for len(waiting) > 0 {
		var got []meta.OutboxEntry
		now := rr.run.Now()
		var done []int64
		err := rr.run.Meta().Update(ctx, func(tx meta.Tx) error {
			var err error
			if got, err = tx.LeaseOutbox(waiting, rr.owner, now, now.Add(rr.cfg.Lease)); err != nil {
				return err
			}
			done = done[:0]
			leased := map[int64]bool{}
			for _, e := range got {
				leased[e.ID] = true
			}
			for _, id := range waiting {
				if leased[id] {
					continue
				}
				e, err := tx.GetOutbox(id)
				if errors.Is(err, meta.ErrNotFound) || err == nil && e.State == meta.OutboxDone {
					done = append(done, id)
				} else if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("take events of %s: %w", rr.bucket, err)
		}
		held = append(held, got...)
		skipped += len(done)
		settled := map[int64]bool{}
		for _, e := range got {
			settled[e.ID] = true
		}
		for _, id := range done {
			settled[id] = true
		}
		rest := waiting[:0]
		for _, id := range waiting {
			if !settled[id] {
				rest = append(rest, id)
			}
		}
		waiting = rest
		if len(waiting) == 0 {
			break
		}
		if time.Now().After(deadline) {
			// Held past any lease: leave them to their holder, and say so.
			rr.run.Logger().Warn("trigger reconciliation: events held by another deliverer past their lease", "events", len(waiting))
			skipped += len(waiting)
			break
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
	return held, skipped, nil
}

// allPage lists the next current objects after the cursor, writes one
// reconciled event per object and trigger to the outbox (or finds those a
// previous run of the job wrote), and delivers them.
func (rr *reconRun) allPage(ctx context.Context, cur *reconCursor) (job.Checkpoint, bool, error) {
	page, err := rr.objects(ctx, cur.AfterKey)
	if err != nil {
		return job.Checkpoint{}, false, err
	}
	more := len(page) == rr.cfg.PageSize
	if len(page) > 0 {
		cur.AfterKey = page[len(page)-1].Key
	}
	now := rr.run.Now()
	var entries []*meta.OutboxEntry
	for i := range page {
		v := &page[i]
		for _, q := range rr.config.Created(v.Key) {
			size := v.Size
			versionID := v.VersionID
			if versionID == meta.NullVersion {
				versionID = ""
			}
			e := eventEntry(rr.bucket, v.Key, versionID, q.TargetARN, storedEvent{
				ID: newEventID(), Name: string(EventReconciled), Time: now, Config: q.ID, Size: &size, ETag: v.ETag,
			})
			e.Dedupe = fmt.Sprintf("reconcile %d %s %s %s", rr.jobID, q.ID, v.VersionID, v.Key)
			e.LeaseOwner, e.LeaseExpires = rr.owner, now.Add(rr.cfg.Lease)
			entries = append(entries, &e)
		}
	}
	if rr.dryRun || len(entries) == 0 {
		return job.Checkpoint{Delta: meta.JobStats{Processed: int64(len(entries))}}, more, nil
	}
	var held, earlier []meta.OutboxEntry
	err = rr.run.Meta().Update(ctx, func(tx meta.Tx) error {
		held, earlier = held[:0], earlier[:0]
		if err := tx.EnqueueOutbox(entries...); err != nil {
			return err
		}
		for _, e := range entries {
			if e.CreatedAt.Equal(now) && e.LeaseOwner == rr.owner {
				held = append(held, *e) // written just now, leased to the job
			} else {
				earlier = append(earlier, *e) // written by a run before this one
			}
		}
		return nil
	})
	if err != nil {
		return job.Checkpoint{}, false, fmt.Errorf("write reconciled events of %s: %w", rr.bucket, err)
	}
	// A resumed run finds what its predecessor wrote: it takes back those
	// not delivered since, as MISSING takes undelivered events.
	taken, skipped, err := rr.take(ctx, earlier)
	if err != nil {
		return job.Checkpoint{}, false, err
	}
	held = append(held, taken...)
	outcomes := rr.deliverAll(ctx, held)
	cp := rr.account(held, outcomes)
	cp.Delta.Skipped += int64(skipped)
	return cp, more, nil
}

// outcome is how the job's attempts at one event ended.
type outcome struct {
	attempts int
	err      error
}

// deliverAll sends the events with Concurrency workers, the events of one
// key and target one after another in id order; outcomes[i] is events[i].
func (rr *reconRun) deliverAll(ctx context.Context, events []meta.OutboxEntry) []outcome {
	outcomes := make([]outcome, len(events))
	lanes := map[string][]int{}
	var order []string
	for i, e := range events {
		k := e.Destination + "\x00" + e.Key
		if _, ok := lanes[k]; !ok {
			order = append(order, k)
		}
		lanes[k] = append(lanes[k], i)
	}
	dests := newDestinationCache(rr.s, rr.bucket)
	work := make(chan []int)
	var wg sync.WaitGroup
	for range min(rr.cfg.Concurrency, len(order)) {
		wg.Go(func() {
			for lane := range work {
				for _, i := range lane {
					outcomes[i] = rr.deliverOne(ctx, dests, events[i])
				}
			}
		})
	}
feed:
	for _, k := range order {
		select {
		case work <- lanes[k]:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return outcomes
}

// deliverOne tries one event up to Attempts times. A refusal no retry
// can cure (the target is gone, the owner may not use it), or a target
// known to be down, ends it at once.
func (rr *reconRun) deliverOne(ctx context.Context, dests *destinationCache, e meta.OutboxEntry) outcome {
	ev, err := decodeEvent(e)
	if err != nil {
		return outcome{attempts: 1, err: err}
	}
	dest, err := dests.get(ctx, e.Destination)
	if err != nil {
		return outcome{attempts: 1, err: err}
	}
	delay := rr.cfg.Backoff
	for attempt := 1; ; attempt++ {
		if err := rr.s.breaker.Allow(e.Destination); err != nil {
			return outcome{attempts: attempt, err: err}
		}
		err := rr.s.send(ctx, dest, e, ev)
		switch {
		case err == nil:
			rr.s.breaker.Reached(e.Destination)
			return outcome{attempts: attempt}
		case errors.Is(err, outbox.ErrUnreachable):
			rr.s.breaker.Unreachable(e.Destination, err)
		default:
			rr.s.breaker.Reached(e.Destination)
		}
		if errors.Is(err, outbox.ErrPermanent) || attempt >= rr.cfg.Attempts || ctx.Err() != nil {
			return outcome{attempts: attempt, err: err}
		}
		select {
		case <-ctx.Done():
			return outcome{attempts: attempt, err: ctx.Err()}
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// account turns a page's outcomes into its checkpoint: the stats, the
// failures, and each event's state, written in the checkpoint's
// transaction. An event delivered ends DONE. One that failed ends FAILED
// (with the job's attempts added), unless the live drainer still had
// retries for it: then it goes back to the drainer, PENDING.
func (rr *reconRun) account(events []meta.OutboxEntry, outcomes []outcome) job.Checkpoint {
	var cp job.Checkpoint
	now := rr.run.Now()
	settles := make([]meta.OutboxSettle, len(events))
	for i, e := range events {
		o := outcomes[i]
		attempts := e.Attempts + o.attempts
		if o.err == nil {
			cp.Delta.Processed++
			settles[i] = meta.OutboxSettle{State: meta.OutboxDone, Attempts: attempts, NextAttempt: e.NextAttempt, At: now}
			continue
		}
		cp.Delta.Failed++
		ev, _ := decodeEvent(e)
		cp.Failures = append(cp.Failures, meta.JobFailure{Key: e.Key, VersionID: e.VersionID,
			Reason: fmt.Sprintf("event %s (%s) to %s: %v", ev.ID, ev.Name, e.Destination, o.err)})
		state := meta.OutboxFailed
		if e.State == meta.OutboxPending && ev.Name != string(EventReconciled) {
			state = meta.OutboxPending
		}
		settles[i] = meta.OutboxSettle{State: state, Attempts: attempts, NextAttempt: now, LastError: o.err.Error(), At: now}
	}
	if len(events) == 0 {
		return cp
	}
	cp.Apply = func(tx meta.Tx, _ *job.Checkpoint) error {
		for i, e := range events {
			err := tx.SettleOutbox(e.ID, rr.owner, settles[i])
			// Held past the job's lease and taken over, or gone with its
			// bucket: the new holder records it.
			if err != nil && !errors.Is(err, meta.ErrNotLeased) && !errors.Is(err, meta.ErrNotFound) {
				return fmt.Errorf("record event %d: %w", e.ID, err)
			}
		}
		return nil
	}
	return cp
}

// destinationCache checks each target of a page once.
type destinationCache struct {
	s      *Service
	bucket string
	mu     sync.Mutex
	known  map[string]destinationResult
}

type destinationResult struct {
	dest destination
	err  error
}

func newDestinationCache(s *Service, bucket string) *destinationCache {
	return &destinationCache{s: s, bucket: bucket, known: map[string]destinationResult{}}
}

func (c *destinationCache) get(ctx context.Context, arn string) (destination, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.known[arn]; ok {
		return r.dest, r.err
	}
	d, err := c.s.destination(ctx, c.bucket, arn)
	if err != nil && !errors.Is(err, outbox.ErrPermanent) && !errors.Is(err, outbox.ErrNothingToDo) {
		return d, err // not cached: a store error may pass
	}
	c.known[arn] = destinationResult{dest: d, err: err}
	return d, err
}
