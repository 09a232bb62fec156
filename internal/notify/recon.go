package notify

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	// Lease is how long the job holds the events of a MISSING page
	// (default 5m).
	Lease time.Duration
	// Wait is how long a page waits for events another deliverer holds
	// (default the outbox drainer's lease and a little more).
	Wait time.Duration
}

// Reconciliation runs TRIGGER_RECONCILIATION, a checkpointed page at a
// time:
//
//   - MISSING takes the bucket's undelivered events from the outbox
//     (PENDING or FAILED), by id, under the job's lease, sends them in
//     order per key and target, and records each outcome in the page's
//     checkpoint: DONE, FAILED, or back to the live drainer while it
//     still has retries for it.
//   - ALL sends, for each current object and each trigger that reports
//     object creations for its key, an ObjectCreated:Reconciled event. Its
//     id is derived from the job, the trigger and the version and its
//     sequencer comes from outbox ids set aside for the page, so a page
//     sent again after a crash carries the same ids (and sequencers that
//     order with the key's live events). An event the job could not send
//     goes to the outbox FAILED, for a later MISSING run.
//
// A candidate is an event: one per undelivered event (MISSING), one per
// current object and trigger (ALL). processed counts those delivered,
// failed those that still could not be (each in jobs/failures with the
// reason), skipped those that needed nothing (delivered by the live
// drainer meanwhile).
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
	// Bases are the first ids of the blocks set aside for the sequencers
	// of the next pages (ALL), in page order: as many as the scan has pages
	// out at once, so that every page in flight when a run dies is sent
	// again with the sequencers it went out with.
	Bases []int64 `json:"bases,omitempty"`
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
	// config is the bucket's notification configuration (ALL), bucketID
	// the bucket's number.
	config   *Config
	bucketID int64
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
		rr.config, rr.bucketID = &Config{}, b.ID
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

// countAll counts the events ALL would send and the current objects,
// from their keys alone.
func (rr *reconRun) countAll(ctx context.Context) (events, objects int64, err error) {
	after := ""
	for {
		var keys []string
		err := rr.run.Meta().View(ctx, func(tx meta.Tx) error {
			var err error
			keys, err = tx.ListLatestKeys(rr.bucket, rr.prefix, after, countPage)
			return err
		})
		if err != nil {
			return 0, 0, fmt.Errorf("list keys of %s: %w", rr.bucket, err)
		}
		for _, k := range keys {
			events += int64(rr.config.CountCreated(k))
		}
		objects += int64(len(keys))
		if len(keys) < countPage {
			return events, objects, nil
		}
		after = keys[len(keys)-1]
	}
}

// countPage is how many keys one read of the count covers.
const countPage = 10000

// objects lists up to limit current objects after key after.
func (rr *reconRun) objects(ctx context.Context, after string, limit int) ([]meta.Version, error) {
	var page []meta.Version
	err := rr.run.Meta().View(ctx, func(tx meta.Tx) error {
		var err error
		page, err = tx.ListLatest(rr.bucket, rr.prefix, after, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", rr.bucket, err)
	}
	return page, nil
}

// batch is one page of a scan: what it needs from the store, taken
// before its events go out, and the checkpoint that records them.
type batch struct {
	// cursor is where a run resumes once the batch is checkpointed.
	cursor reconCursor
	more   bool
	// events are the events the job holds and sends; dryRun the count a
	// dry run reports instead; skipped those that needed nothing.
	events []meta.OutboxEntry
	// evs are the events' documents, when the batch made them (ALL): its
	// events have no payload until one fails.
	evs     []storedEvent
	dry     int64
	skipped int
	// sent is closed once every event went out; outcomes[i] is events[i].
	outcomes []outcome
	sent     *sync.WaitGroup
	// lanes are the last sends of each key and target of the batch, for
	// the next batch's sends of the same key to wait for.
	lanes map[string]chan struct{}
}

// scan handles a page at a time from the cursor on, as a pipeline: while
// the events of one page go out, the next page is read and taken, and the
// page before is checkpointed, so that the store's work overlaps the
// deliveries rather than waiting between them. A key's events still go
// out one at a time and in order, across pages too.
func (rr *reconRun) scan(ctx context.Context) error {
	cur, err := decodeReconCursor(rr.run.Job().Cursor)
	if err != nil {
		return err
	}
	senders := rr.startSenders(ctx)
	defer senders.stop()
	var (
		inflight *batch
		stats    meta.JobStats // what the batches checkpointed so far
	)
	stats.Failed = rr.run.Job().Stats.Failed
	for {
		next, err := rr.prepare(ctx, &cur)
		if err != nil {
			return err
		}
		var prev map[string]chan struct{}
		if inflight != nil {
			prev = inflight.lanes
		}
		senders.submit(next, prev)
		if inflight != nil {
			if err := rr.checkpoint(ctx, inflight, false, &stats); err != nil {
				return err
			}
		}
		inflight = next
		if !next.more {
			return rr.checkpoint(ctx, inflight, true, &stats)
		}
	}
}

// prepare reads and takes the next page after cur, moving cur past it.
func (rr *reconRun) prepare(ctx context.Context, cur *reconCursor) (*batch, error) {
	if rr.mode == ModeMissing {
		return rr.missingPage(ctx, cur)
	}
	return rr.allPage(ctx, cur)
}

// checkpoint waits for a batch's sends and commits what they did. A run
// whose context ended does not: the batch is redone on resume.
func (rr *reconRun) checkpoint(ctx context.Context, b *batch, last bool, stats *meta.JobStats) error {
	b.sent.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	cp := rr.account(b.events, b.evs, b.outcomes)
	cp.Delta.Processed += b.dry
	cp.Delta.Skipped += int64(b.skipped)
	cp.Cursor = b.cursor.encode()
	stats.Failed += cp.Delta.Failed
	if last && stats.Failed > 0 {
		cp.Message = fmt.Sprintf("%d event(s) could not be delivered (listed by jobs/failures); they stay in the outbox for a later MISSING run", stats.Failed)
	}
	return rr.run.Checkpoint(ctx, cp)
}

// missingPage reads the next undelivered events after the cursor and
// takes them.
func (rr *reconRun) missingPage(ctx context.Context, cur *reconCursor) (*batch, error) {
	var page []meta.OutboxEntry
	err := rr.run.Meta().View(ctx, func(tx meta.Tx) error {
		var err error
		page, err = tx.ListOutbox(meta.OutboxFilter{Kind: OutboxKind, Bucket: rr.bucket, Prefix: rr.prefix,
			States: undelivered, AfterID: cur.AfterID, Limit: rr.cfg.PageSize})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list undelivered events of %s: %w", rr.bucket, err)
	}
	b := &batch{more: len(page) == rr.cfg.PageSize}
	if len(page) > 0 {
		cur.AfterID = page[len(page)-1].ID
	}
	b.cursor = *cur
	if rr.dryRun {
		b.dry = int64(len(page))
		return b, nil
	}
	if b.events, b.skipped, err = rr.take(ctx, page); err != nil {
		return nil, err
	}
	return b, nil
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

// allPage lists the next current objects after the cursor and makes the
// reconciled event of each object and trigger. These events are sent
// without an outbox entry, which would cost two writes per event for what
// the job's checkpoint records anyway: the event's id is derived from the
// job, the trigger and the version, and its sequencer from ids set aside
// for the page (and kept in the cursor), so a page sent again after a
// crash carries the same ids and sequencers. Those the job cannot deliver
// are written to the outbox, FAILED, in the page's checkpoint.
func (rr *reconRun) allPage(ctx context.Context, cur *reconCursor) (*batch, error) {
	page, err := rr.objects(ctx, cur.AfterKey, rr.cfg.PageSize)
	if err != nil {
		return nil, err
	}
	b := &batch{more: len(page) == rr.cfg.PageSize}
	if len(page) > 0 {
		cur.AfterKey = page[len(page)-1].Key
	}
	now := rr.run.Now()
	type planned struct {
		v *meta.Version
		q Queue
	}
	var events []planned
	for i := range page {
		for _, q := range rr.config.Created(page[i].Key) {
			events = append(events, planned{&page[i], q})
		}
	}
	if rr.dryRun || len(events) == 0 {
		b.dry = int64(len(events))
		b.cursor = *cur
		return b, nil
	}
	// The ids this page's sequencers come from. Blocks are set aside
	// reserveAhead pages at a time and kept in the cursor, so that every
	// page in flight when a run dies is sent again with the sequencers it
	// went out with.
	if len(cur.Bases) == 0 {
		var first int64
		err := rr.run.Meta().Update(ctx, func(tx meta.Tx) error {
			var err error
			first, err = tx.ReserveOutboxIDs(reserveAhead * rr.block())
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("set aside sequencers for %s: %w", rr.bucket, err)
		}
		for i := range reserveAhead {
			cur.Bases = append(cur.Bases, first+int64(i*rr.block()))
		}
	}
	base := cur.Bases[0]
	cur.Bases = slices.Clone(cur.Bases[1:])
	b.cursor = *cur
	for i, p := range events {
		size := p.v.Size
		versionID := p.v.VersionID
		if versionID == meta.NullVersion {
			versionID = ""
		}
		ev := storedEvent{
			ID: rr.reconciledID(p.q.ID, p.v), Name: string(EventReconciled), Time: now, Config: p.q.ID,
			Size: &size, ETag: p.v.ETag, Sequencer: Sequencer(base + int64(i)),
		}
		b.events = append(b.events, meta.OutboxEntry{Kind: OutboxKind, Destination: p.q.TargetARN, Bucket: rr.bucket,
			Key: p.v.Key, VersionID: versionID, CreatedAt: now})
		b.evs = append(b.evs, ev)
	}
	return b, nil
}

// reserveAhead is how many pages' sequencer blocks are set aside at once
// (more than the scan ever has out, which is two).
const reserveAhead = 16

// block is how many sequencers a page sets aside: one per object and
// trigger at most.
func (rr *reconRun) block() int { return rr.cfg.PageSize * max(1, len(rr.config.Queues)) }

// reconciledID is the id of the event the job sends for version v to
// trigger: the same whenever the job sends it again, and no other's (the
// bucket's number is never reused, nor a job's).
func (rr *reconRun) reconciledID(trigger string, v *meta.Version) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("reconciled\x00%d\x00%d\x00%s\x00%s\x00%s", rr.bucketID, rr.jobID, trigger, v.VersionID, v.Key)))
	return uuidOf(sum[:16])
}

// outcome is how the job's attempts at one event ended.
type outcome struct {
	attempts int
	err      error
}

// senders send the events of the batches submitted to them with
// Concurrency workers.
type senders struct {
	rr     *reconRun
	ctx    context.Context
	cancel context.CancelFunc
	dests  *destinationCache
	work   chan lane
	wg     sync.WaitGroup
}

// lane is the events of one key and target in a batch, sent one after
// another in id order once prev (the same lane's sends in the batch
// before, nil when none) are done.
type lane struct {
	b       *batch
	indices []int
	prev    chan struct{}
	done    chan struct{}
}

func (rr *reconRun) startSenders(ctx context.Context) *senders {
	ctx, cancel := context.WithCancel(ctx)
	s := &senders{rr: rr, ctx: ctx, cancel: cancel, dests: newDestinationCache(rr.s, rr.bucket), work: make(chan lane, 4*rr.cfg.Concurrency)}
	for range rr.cfg.Concurrency {
		s.wg.Go(func() {
			for l := range s.work {
				if l.prev != nil {
					<-l.prev
				}
				for _, i := range l.indices {
					var ev *storedEvent
					if l.b.evs != nil {
						ev = &l.b.evs[i]
					}
					l.b.outcomes[i] = rr.deliverOne(ctx, s.dests, l.b.events[i], ev)
				}
				if l.done != nil {
					close(l.done)
				}
				l.b.sent.Done()
			}
		})
	}
	return s
}

// submit queues a batch's events by lane. prev are the lanes of the batch
// before, still going out. Lanes are queued in order, so a lane's prev is
// always taken by a worker before it: waiting on it cannot deadlock.
func (s *senders) submit(b *batch, prev map[string]chan struct{}) {
	b.outcomes = make([]outcome, len(b.events))
	b.sent = &sync.WaitGroup{}
	if b.evs != nil {
		// A back-fill sends one event per object and target, and pages
		// hold distinct keys: every event is a lane of its own.
		for i := range b.events {
			b.sent.Add(1)
			select {
			case s.work <- lane{b: b, indices: []int{i}}:
			case <-s.ctx.Done():
				b.sent.Done()
			}
		}
		return
	}
	b.lanes = map[string]chan struct{}{}
	byLane := map[string][]int{}
	var order []string
	for i, e := range b.events {
		k := e.Destination + "\x00" + e.Key
		if _, ok := byLane[k]; !ok {
			order = append(order, k)
		}
		byLane[k] = append(byLane[k], i)
	}
	for _, k := range order {
		l := lane{b: b, indices: byLane[k], prev: prev[k], done: make(chan struct{})}
		b.lanes[k] = l.done
		b.sent.Add(1)
		select {
		case s.work <- l:
		case <-s.ctx.Done():
			// Stopping: the batch is not checkpointed; mark its lanes done.
			close(l.done)
			b.sent.Done()
		}
	}
}

// stop ends the sends still going (a scan that returned early: what they
// did is not checkpointed, and redone on resume) and waits for them.
func (s *senders) stop() {
	s.cancel()
	close(s.work)
	s.wg.Wait()
}

// deliverOne tries one event up to Attempts times. A refusal no retry
// can cure (the target is gone, the owner may not use it), or a target
// known to be down, ends it at once.
func (rr *reconRun) deliverOne(ctx context.Context, dests *destinationCache, e meta.OutboxEntry, made *storedEvent) outcome {
	var ev storedEvent
	if made != nil {
		ev = *made
	} else {
		var err error
		if ev, err = decodeEvent(e); err != nil {
			return outcome{attempts: 1, err: err}
		}
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
func (rr *reconRun) account(events []meta.OutboxEntry, evs []storedEvent, outcomes []outcome) job.Checkpoint {
	var (
		cp        job.Checkpoint
		settles   = map[int64]meta.OutboxSettle{}
		newFailed []*meta.OutboxEntry
	)
	now := rr.run.Now()
	for i, e := range events {
		o := outcomes[i]
		attempts := e.Attempts + o.attempts
		if o.err == nil {
			cp.Delta.Processed++
			if e.ID != 0 {
				settles[e.ID] = meta.OutboxSettle{State: meta.OutboxDone, Attempts: attempts, NextAttempt: e.NextAttempt, At: now}
			}
			continue
		}
		cp.Delta.Failed++
		var ev storedEvent
		if evs != nil {
			ev = evs[i]
		} else {
			ev, _ = decodeEvent(e)
		}
		cp.Failures = append(cp.Failures, meta.JobFailure{Key: e.Key, VersionID: e.VersionID,
			Reason: fmt.Sprintf("event %s (%s) to %s: %v", ev.ID, ev.Name, e.Destination, o.err)})
		if e.ID == 0 {
			// A back-filled event: into the outbox, for a MISSING run.
			f := eventEntry(e.Bucket, e.Key, e.VersionID, e.Destination, ev)
			f.State, f.Attempts, f.LastError, f.NextAttempt, f.UpdatedAt = meta.OutboxFailed, attempts, o.err.Error(), now, now
			newFailed = append(newFailed, &f)
			continue
		}
		state := meta.OutboxFailed
		if e.State == meta.OutboxPending {
			state = meta.OutboxPending // the live drainer still has retries for it
		}
		settles[e.ID] = meta.OutboxSettle{State: state, Attempts: attempts, NextAttempt: now, LastError: o.err.Error(), At: now}
	}
	if len(settles) == 0 && len(newFailed) == 0 {
		return cp
	}
	cp.Apply = func(tx meta.Tx, _ *job.Checkpoint) error {
		for _, e := range events {
			st, ok := settles[e.ID]
			if !ok {
				continue
			}
			err := tx.SettleOutbox(e.ID, rr.owner, st)
			// Held past the job's lease and taken over, or gone with its
			// bucket: the new holder records it.
			if err != nil && !errors.Is(err, meta.ErrNotLeased) && !errors.Is(err, meta.ErrNotFound) {
				return fmt.Errorf("record event %d: %w", e.ID, err)
			}
		}
		if len(newFailed) > 0 {
			if err := tx.EnqueueOutbox(newFailed...); err != nil {
				return fmt.Errorf("keep the events not delivered: %w", err)
			}
		}
		return nil
	}
	return cp
}

// destinationCache checks each target at most once per destinationTTL,
// so that a grant withdrawn while a job runs stops its sends soon.
type destinationCache struct {
	s      *Service
	bucket string
	mu     sync.Mutex
	known  map[string]destinationResult
}

const destinationTTL = 5 * time.Second

type destinationResult struct {
	dest    destination
	err     error
	checked time.Time
}

func newDestinationCache(s *Service, bucket string) *destinationCache {
	return &destinationCache{s: s, bucket: bucket, known: map[string]destinationResult{}}
}

func (c *destinationCache) get(ctx context.Context, arn string) (destination, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.known[arn]; ok && time.Since(r.checked) < destinationTTL {
		return r.dest, r.err
	}
	d, err := c.s.destination(ctx, c.bucket, arn)
	if err != nil && !errors.Is(err, outbox.ErrPermanent) && !errors.Is(err, outbox.ErrNothingToDo) {
		return d, err // not cached: a store error may pass
	}
	c.known[arn] = destinationResult{dest: d, err: err, checked: time.Now()}
	return d, err
}
