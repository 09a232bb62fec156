package replication_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/outbox"
	"github.com/quarrylabs/quarry/internal/replication"
)

// The live replicator is the outbox drainer with the replication delivery:
// these tests run it on its own.

// waitLimit bounds every wait on a replicator event: far above what a step
// needs, so that a timeout means a bug.
const waitLimit = 20 * time.Second

// enqueue writes an outbox entry for v, as the object service does when a
// rule matches a new version.
func (s *replSource) enqueue(v *meta.Version, target string) {
	s.t.Helper()
	err := s.store.Update(s.ctx, func(tx meta.Tx) error {
		task := replication.Task{Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, TargetARN: target, DeleteMarker: v.DeleteMarker}
		if err := replication.Enqueue(tx, time.Now(), task); err != nil {
			return err
		}
		return tx.SetVersionReplication(meta.VersionReplication{
			Bucket: v.Bucket, Key: v.Key, VersionID: v.VersionID, TargetARN: target,
			Status: meta.ReplicationPending, Updated: time.Now(),
		})
	})
	if err != nil {
		s.t.Fatalf("enqueue %s: %v", v.Key, err)
	}
}

// tasks counts the replication entries of the source bucket still to do.
func (s *replSource) tasks() int64 {
	s.t.Helper()
	var n int64
	err := s.store.View(s.ctx, func(tx meta.Tx) error {
		var err error
		n, err = tx.CountOutbox(meta.OutboxFilter{Kind: replication.OutboxKind, Bucket: srcBucket, States: []meta.OutboxState{meta.OutboxPending}})
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// summary returns the version row's summed-up replication status.
func (s *replSource) summary(v *meta.Version) meta.ReplicationStatus {
	s.t.Helper()
	var got *meta.Version
	err := s.store.View(s.ctx, func(tx meta.Tx) error {
		var err error
		got, err = tx.GetVersion(v.Bucket, v.Key, v.VersionID)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return got.ReplicationStatus
}

// startReplicator runs a replicator on the source until the test ends;
// stop cancels it and waits for Run to return.
func (s *replSource) startReplicator(ev *events, tweak func(*outbox.Config)) (r *outbox.Drainer, stop func()) {
	cfg := outbox.Config{
		Meta:       s.store,
		Deliveries: map[string]outbox.Delivery{replication.OutboxKind: replication.NewDelivery(s.copier)},
		Poll:       20 * time.Millisecond,
		InstanceID: "test-replicator",
		Logger:     quietLogger(),
		Signal:     func(event, _ string) { ev.record(event) },
	}
	if tweak != nil {
		tweak(&cfg)
	}
	r = outbox.New(cfg)
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	s.t.Cleanup(stop)
	return r, stop
}

func TestReplicatorCopiesWhatTheOutboxHolds(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	ev := newEvents()
	r, _ := src.startReplicator(ev, nil)

	t.Run("a new version arrives and is marked COMPLETED", func(t *testing.T) {
		v := src.put("a.txt", []byte("hello"), object.ObjectAttrs{ContentType: "text/plain"})
		src.enqueue(v, arn)
		r.Notify()
		ev.wait(t, outbox.SignalCompleted, 1, waitLimit)
		if _, data := rq.object("a.txt"); string(data) != "hello" {
			t.Errorf("destination holds %q, want hello", data)
		}
		if st := src.state(v, arn); st.Status != meta.ReplicationCompleted {
			t.Errorf("state at target %q, want COMPLETED", st.Status)
		}
		if got := src.summary(v); got != meta.ReplicationCompleted {
			t.Errorf("version status %q, want COMPLETED", got)
		}
		if n := src.tasks(); n != 0 {
			t.Errorf("%d tasks left in the outbox", n)
		}
	})
	t.Run("a delete marker deletes the object at the destination", func(t *testing.T) {
		res, err := src.objects.DeleteObject(src.ctx, srcOwner, srcBucket, "a.txt", "")
		if err != nil {
			t.Fatal(err)
		}
		src.enqueue(&meta.Version{Bucket: srcBucket, Key: "a.txt", VersionID: res.VersionID, DeleteMarker: true}, arn)
		r.Notify()
		ev.wait(t, outbox.SignalCompleted, 2, waitLimit)
		if got, _ := rq.object("a.txt"); got != nil {
			t.Error("the object is still visible at the destination")
		}
		if n := src.tasks(); n != 0 {
			t.Errorf("%d tasks left in the outbox", n)
		}
	})
	t.Run("a task whose version was deleted is dropped", func(t *testing.T) {
		v := src.put("short", []byte("x"), object.ObjectAttrs{})
		if _, err := src.objects.DeleteObject(src.ctx, srcOwner, srcBucket, "short", v.VersionID); err != nil {
			t.Fatal(err)
		}
		err := src.store.Update(src.ctx, func(tx meta.Tx) error {
			return replication.Enqueue(tx, time.Now(), replication.Task{Bucket: srcBucket, Key: "short", VersionID: v.VersionID, TargetARN: arn})
		})
		if err != nil {
			t.Fatal(err)
		}
		r.Notify()
		ev.wait(t, outbox.SignalDropped, 1, waitLimit)
		if got, _ := rq.object("short"); got != nil {
			t.Error("a deleted version was copied")
		}
		if n := src.tasks(); n != 0 {
			t.Errorf("%d tasks left in the outbox", n)
		}
	})
}

func TestReplicatorRetriesWithBackoffThenFails(t *testing.T) {
	src := newReplSource(t)
	arn := src.targetAt("nowhere", "http://127.0.0.1:1", "AK", "SK")
	v := src.put("k", []byte("data"), object.ObjectAttrs{})
	src.enqueue(v, arn)
	ev := newEvents()
	const base = 40 * time.Millisecond
	start := time.Now()
	src.startReplicator(ev, func(c *outbox.Config) {
		c.MaxAttempts = 3
		c.BackoffBase = base
		c.BackoffMax = time.Second
	})
	ev.wait(t, outbox.SignalFailed, 1, waitLimit)
	elapsed := time.Since(start)

	if n := ev.count(outbox.SignalRetried); n != 2 {
		t.Errorf("%d retries, want 2 (3 attempts)", n)
	}
	// Delays are at least half of base, then of 2*base.
	if min := base/2 + base; elapsed < min {
		t.Errorf("3 attempts took %s, want at least %s of backoff", elapsed, min)
	}
	st := src.state(v, arn)
	if st.Status != meta.ReplicationFailed || !strings.Contains(st.Error, "127.0.0.1:1") {
		t.Errorf("state %q with error %q, want FAILED naming the destination", st.Status, st.Error)
	}
	if got := src.summary(v); got != meta.ReplicationFailed {
		t.Errorf("version status %q, want FAILED", got)
	}
	if n := src.tasks(); n != 0 {
		t.Errorf("%d tasks left in the outbox", n)
	}
}

func TestReplicatorTakesOverTasksOfADeadReplicator(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	v := src.put("orphan", []byte("left behind"), object.ObjectAttrs{})
	src.enqueue(v, arn)
	// Another process claimed it and died: its lease runs out.
	err := src.store.Update(src.ctx, func(tx meta.Tx) error {
		now := time.Now()
		claimed, err := tx.ClaimOutbox(meta.OutboxClaim{Owner: "dead-process", Now: now, Until: now.Add(200 * time.Millisecond), Limit: 10})
		if len(claimed) != 1 {
			t.Fatalf("claimed %d tasks, want 1", len(claimed))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvents()
	src.startReplicator(ev, nil)
	ev.wait(t, outbox.SignalCompleted, 1, waitLimit)
	if _, data := rq.object("orphan"); string(data) != "left behind" {
		t.Errorf("destination holds %q", data)
	}
}

func TestReplicatorStopsPromptly(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	for i := range 20 {
		src.enqueue(src.put("k"+string(rune('a'+i)), randomData(256<<10), object.ObjectAttrs{}), arn)
	}
	ev := newEvents()
	_, stop := src.startReplicator(ev, func(c *outbox.Config) { c.Workers = 2 })
	ev.wait(t, outbox.SignalClaimed, 1, waitLimit)
	start := time.Now()
	stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %s to return after cancel", d)
	}
	// What was not done is still in the outbox, due at once.
	if n := src.tasks(); n+int64(ev.count(outbox.SignalCompleted)) != 20 {
		t.Errorf("%d tasks left and %d completed, want 20 in all", n, ev.count(outbox.SignalCompleted))
	}
}

func TestReplicatorChecksTheDestinationOnlyOnRetries(t *testing.T) {
	rq := startRemoteQuarry(t)
	src := newReplSource(t)
	arn := src.target("dest", rq)
	ev := newEvents()
	r, _ := src.startReplicator(ev, nil)

	t.Run("a first attempt copies with one PUT", func(t *testing.T) {
		v := src.put("fresh", []byte("new data"), object.ObjectAttrs{})
		rq.served()
		src.enqueue(v, arn)
		r.Notify()
		ev.wait(t, outbox.SignalCompleted, 1, waitLimit)
		if got := rq.served(); !slices.Equal(got, []string{"PutObject"}) {
			t.Errorf("the destination served %v, want one PutObject", got)
		}
	})
	t.Run("a retried task finds the copy an earlier attempt made", func(t *testing.T) {
		v := src.put("retried", []byte("sent before"), object.ObjectAttrs{})
		// An earlier attempt stored the copy, then failed to record it.
		if _, err := src.copier.Copy(src.ctx, srcBucket, "retried", v.VersionID, arn, replication.CopyOptions{}); err != nil {
			t.Fatal(err)
		}
		err := src.store.Update(src.ctx, func(tx meta.Tx) error {
			e := replication.Task{Bucket: srcBucket, Key: "retried", VersionID: v.VersionID, TargetARN: arn}.Entry(time.Now())
			e.Attempts, e.LastError = 1, "connection reset"
			return tx.EnqueueOutbox(&e)
		})
		if err != nil {
			t.Fatal(err)
		}
		rq.served()
		r.Notify()
		ev.wait(t, outbox.SignalCompleted, 2, waitLimit)
		if got := rq.served(); !slices.Equal(got, []string{"HeadObject"}) {
			t.Errorf("the destination served %v, want one HeadObject", got)
		}
		if st := src.state(v, arn); st.Status != meta.ReplicationCompleted {
			t.Errorf("state %q, want COMPLETED", st.Status)
		}
	})
}
