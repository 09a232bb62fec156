package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/outbox"
	"github.com/quarrylabs/quarry/internal/storetest"
)

const waitLimit = 20 * time.Second

// recorder is a Delivery that records what it was given and answers what
// its destination's behaviour says.
type recorder struct {
	mu sync.Mutex
	// delivered lists entry ids by destination, in the order delivered.
	delivered map[string][]int64
	// active counts deliveries running per destination; peak is the most
	// ever running at once per destination, and per key.
	active, peak       map[string]int
	activeKey, peakKey map[string]int
	// behave says, per destination, how an attempt goes.
	behave map[string]func(ctx context.Context, e meta.OutboxEntry) error
	// recorded lists the final states a Record call was given.
	recorded map[int64]meta.OutboxState
}

func newRecorder() *recorder {
	return &recorder{delivered: map[string][]int64{}, active: map[string]int{}, peak: map[string]int{},
		activeKey: map[string]int{}, peakKey: map[string]int{},
		behave: map[string]func(context.Context, meta.OutboxEntry) error{}, recorded: map[int64]meta.OutboxState{}}
}

func (r *recorder) Deliver(ctx context.Context, e meta.OutboxEntry) error {
	k := e.Destination + "/" + e.Key
	r.mu.Lock()
	r.active[e.Destination]++
	r.peak[e.Destination] = max(r.peak[e.Destination], r.active[e.Destination])
	r.activeKey[k]++
	r.peakKey[k] = max(r.peakKey[k], r.activeKey[k])
	fn := r.behave[e.Destination]
	r.mu.Unlock()
	var err error
	if fn != nil {
		err = fn(ctx, e)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active[e.Destination]--
	r.activeKey[k]--
	if err == nil {
		r.delivered[e.Destination] = append(r.delivered[e.Destination], e.ID)
	}
	return err
}

func (r *recorder) Record(_ meta.Tx, e meta.OutboxEntry, state meta.OutboxState, _ error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recorded[e.ID] = state
	return nil
}

func (r *recorder) deliveredTo(dest string) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.delivered[dest])
}

// signals counts drainer signals and lets tests wait for a count.
type signals struct {
	mu     sync.Mutex
	counts map[string]int
	cond   *sync.Cond
}

func newSignals() *signals {
	s := &signals{counts: map[string]int{}}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *signals) record(event, _ string) {
	s.mu.Lock()
	s.counts[event]++
	s.mu.Unlock()
	s.cond.Broadcast()
}

func (s *signals) count(event string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[event]
}

func (s *signals) wait(t *testing.T, event string, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for s.count(event) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %d %q signals, got %d", waitLimit, n, event, s.count(event))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type env struct {
	t     *testing.T
	store meta.Store
	rec   *recorder
	sig   *signals
}

func newEnv(t *testing.T) *env {
	store, _ := storetest.Open(t)
	return &env{t: t, store: store, rec: newRecorder(), sig: newSignals()}
}

// start runs a drainer named owner until the test ends; stop cancels it
// and waits for Run to return.
func (e *env) start(owner string, tweak func(*outbox.Config)) (d *outbox.Drainer, stop func()) {
	cfg := outbox.Config{
		Meta:        e.store,
		Deliveries:  map[string]outbox.Delivery{"test": e.rec},
		Poll:        10 * time.Millisecond,
		BackoffBase: 10 * time.Millisecond,
		BackoffMax:  40 * time.Millisecond,
		InstanceID:  owner,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Signal:      e.sig.record,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	d = outbox.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	e.t.Cleanup(stop)
	return d, stop
}

// enqueue writes n entries for dest, keys made by key(i), and returns their ids.
func (e *env) enqueue(dest string, n int, key func(i int) string) []int64 {
	e.t.Helper()
	var ids []int64
	err := e.store.Update(context.Background(), func(tx meta.Tx) error {
		for i := range n {
			en := meta.OutboxEntry{Kind: "test", Destination: dest, Bucket: "b", Key: key(i),
				NextAttempt: time.Now(), CreatedAt: time.Now()}
			if err := tx.EnqueueOutbox(&en); err != nil {
				return err
			}
			ids = append(ids, en.ID)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) entry(id int64) meta.OutboxEntry {
	e.t.Helper()
	var got *meta.OutboxEntry
	err := e.store.View(context.Background(), func(tx meta.Tx) error {
		var err error
		got, err = tx.GetOutbox(id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return *got
}

func distinct(i int) string { return fmt.Sprintf("k%04d", i) }

func TestAnEntryIsDeliveredRecordedAndMarkedDone(t *testing.T) {
	e := newEnv(t)
	ids := e.enqueue("arn:a", 1, distinct)
	e.start("node", nil)
	e.sig.wait(t, outbox.SignalCompleted, 1)
	got := e.entry(ids[0])
	if got.State != meta.OutboxDone || got.Attempts != 1 || got.LeaseOwner != "" || got.UpdatedAt.IsZero() {
		t.Errorf("entry after delivery = %+v, want DONE after 1 attempt, no lease, an update time", got)
	}
	if st := e.rec.recorded[ids[0]]; st != meta.OutboxDone {
		t.Errorf("the delivery recorded %q, want DONE", st)
	}
}

func TestFailuresAreRetriedWithBackoffThenFailedWithTheReason(t *testing.T) {
	e := newEnv(t)
	e.rec.behave["arn:a"] = func(context.Context, meta.OutboxEntry) error { return errors.New("HTTP 500 from the receiver") }
	ids := e.enqueue("arn:a", 1, distinct)
	start := time.Now()
	e.start("node", func(c *outbox.Config) { c.MaxAttempts = 3 })
	e.sig.wait(t, outbox.SignalFailed, 1)
	if n := e.sig.count(outbox.SignalRetried); n != 2 {
		t.Errorf("%d retries, want 2 (3 attempts)", n)
	}
	if min := 5*time.Millisecond + 10*time.Millisecond; time.Since(start) < min {
		t.Errorf("3 attempts took %s, want at least %s of backoff", time.Since(start), min)
	}
	got := e.entry(ids[0])
	if got.State != meta.OutboxFailed || got.Attempts != 3 || got.LastError != "HTTP 500 from the receiver" {
		t.Errorf("entry = %s after %d attempts, reason %q; want FAILED after 3 with the receiver's answer", got.State, got.Attempts, got.LastError)
	}
	if st := e.rec.recorded[ids[0]]; st != meta.OutboxFailed {
		t.Errorf("the delivery recorded %q, want FAILED", st)
	}
}

func TestPermanentFailuresAreNotRetriedAndNothingToDoEndsDone(t *testing.T) {
	e := newEnv(t)
	e.rec.behave["arn:refused"] = func(context.Context, meta.OutboxEntry) error {
		return outbox.Permanent(errors.New("bucket owner bob may not use target arn:refused"))
	}
	e.rec.behave["arn:gone"] = func(context.Context, meta.OutboxEntry) error {
		return outbox.NothingToDo(errors.New("source deleted"))
	}
	refused := e.enqueue("arn:refused", 1, distinct)
	gone := e.enqueue("arn:gone", 1, distinct)
	e.start("node", nil)
	e.sig.wait(t, outbox.SignalFailed, 1)
	e.sig.wait(t, outbox.SignalDropped, 1)
	if n := e.sig.count(outbox.SignalRetried); n != 0 {
		t.Errorf("%d retries, want none", n)
	}
	if got := e.entry(refused[0]); got.State != meta.OutboxFailed || got.LastError != "bucket owner bob may not use target arn:refused" {
		t.Errorf("refused entry = %s %q", got.State, got.LastError)
	}
	if got := e.entry(gone[0]); got.State != meta.OutboxDone {
		t.Errorf("entry with nothing to do = %s, want DONE", got.State)
	}
}

func TestAKeysEntriesAreDeliveredOneAtATimeInOrderEvenByTwoDrainers(t *testing.T) {
	e := newEnv(t)
	// Each delivery takes a little while, so that overlaps would show.
	e.rec.behave["arn:a"] = func(context.Context, meta.OutboxEntry) error {
		time.Sleep(time.Millisecond)
		return nil
	}
	ids := e.enqueue("arn:a", 60, func(i int) string { return fmt.Sprintf("k%d", i%3) })
	e.start("node-1", nil)
	e.start("node-2", nil)
	e.sig.wait(t, outbox.SignalCompleted, 60)
	got := e.rec.deliveredTo("arn:a")
	byKey := map[int64]string{}
	for i, id := range ids {
		byKey[id] = fmt.Sprintf("k%d", i%3)
	}
	last := map[string]int64{}
	for _, id := range got {
		k := byKey[id]
		if id < last[k] {
			t.Fatalf("entry %d of %s delivered after entry %d: %v", id, k, last[k], got)
		}
		last[k] = id
	}
	for k, n := range e.rec.peakKey {
		if n > 1 {
			t.Errorf("%d deliveries of %s ran at once, want one at a time", n, k)
		}
	}
	if len(got) != 60 {
		t.Errorf("%d deliveries, want 60 (each once)", len(got))
	}
}

func TestADeadDestinationsFloodDoesNotStarveTheOthers(t *testing.T) {
	e := newEnv(t)
	e.rec.behave["arn:dead"] = func(context.Context, meta.OutboxEntry) error {
		return outbox.Unreachable(errors.New("dial tcp 127.0.0.1:1: connection refused"))
	}
	e.enqueue("arn:dead", 2000, distinct)
	live := e.enqueue("arn:live", 20, distinct)
	start := time.Now()
	e.start("node", func(c *outbox.Config) { c.Workers = 4 })
	deadline := time.Now().Add(waitLimit)
	for len(e.rec.deliveredTo("arn:live")) < len(live) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d entries for the live destination delivered beside the flood", len(e.rec.deliveredTo("arn:live")), len(live))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the live destination's 20 entries took %s beside the flood", d)
	}
}

func TestASlowDestinationHoldsAtMostItsShareOfTheWorkers(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	e.rec.behave["arn:slow"] = func(ctx context.Context, _ meta.OutboxEntry) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	e.enqueue("arn:slow", 50, distinct)
	fast := e.enqueue("arn:fast", 30, distinct)
	e.start("node", func(c *outbox.Config) { c.Workers, c.PerDestination = 4, 2 })
	deadline := time.Now().Add(waitLimit)
	for len(e.rec.deliveredTo("arn:fast")) < len(fast) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d entries for the fast destination delivered while the slow one hangs", len(e.rec.deliveredTo("arn:fast")), len(fast))
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.rec.mu.Lock()
	peak := e.rec.peak["arn:slow"]
	e.rec.mu.Unlock()
	if peak > 2 {
		t.Errorf("%d deliveries to the slow destination ran at once, want at most its share of 2", peak)
	}
	close(release)
}

func TestAStoppedDrainerGivesItsEntriesBackAtOnce(t *testing.T) {
	e := newEnv(t)
	e.rec.behave["arn:a"] = func(ctx context.Context, _ meta.OutboxEntry) error {
		<-ctx.Done()
		return ctx.Err()
	}
	ids := e.enqueue("arn:a", 3, distinct)
	_, stop := e.start("node", nil)
	e.sig.wait(t, outbox.SignalClaimed, 1)
	time.Sleep(20 * time.Millisecond)
	stop()
	for _, id := range ids {
		if got := e.entry(id); got.State != meta.OutboxPending || got.LeaseOwner != "" || got.Attempts != 0 {
			t.Errorf("entry %d after the stop = %s leased by %q after %d attempts, want PENDING, free, untried", id, got.State, got.LeaseOwner, got.Attempts)
		}
	}
}

func TestDeliveredEntriesArePurgedAfterTheRetention(t *testing.T) {
	e := newEnv(t)
	ids := e.enqueue("arn:a", 2, distinct)
	clock := time.Now()
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	_, stop := e.start("node", func(c *outbox.Config) { c.Retention, c.Now = time.Hour, now })
	e.sig.wait(t, outbox.SignalCompleted, 2)
	stop()
	mu.Lock()
	clock = clock.Add(2 * time.Hour)
	mu.Unlock()
	purged := e.sig.count(outbox.SignalPurged)
	e.start("node", func(c *outbox.Config) { c.Retention, c.Now = time.Hour, now })
	e.sig.wait(t, outbox.SignalPurged, purged+1)
	err := e.store.View(context.Background(), func(tx meta.Tx) error {
		_, err := tx.GetOutbox(ids[0])
		return err
	})
	if !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("a delivered entry past the retention: %v, want it purged", err)
	}
}
