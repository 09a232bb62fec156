package job

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// fill inserts n one-byte object versions straight into the metadata, in a
// few big transactions, with the usage counters to match.
func (h *harness) fill(bucket string, n int) {
	h.t.Helper()
	const perTx = 5000
	for start := 0; start < n; start += perTx {
		end := min(start+perTx, n)
		err := h.meta.Update(h.ctx, func(tx meta.Tx) error {
			for i := start; i < end; i++ {
				v := &meta.Version{Bucket: bucket, Key: fmt.Sprintf("obj-%06d", i), VersionID: meta.NullVersion,
					IsLatest: true, Size: 1, ETag: "x", LastModified: time.Now(), OwnerID: alice.UserID}
				if err := tx.PutVersion(v); err != nil {
					return err
				}
			}
			k := int64(end - start)
			return tx.AddUsage(bucket, meta.Usage{Objects: k, Bytes: k, Versions: k, VersionBytes: k})
		})
		if err != nil {
			h.t.Fatalf("fill %s: %v", bucket, err)
		}
	}
}

func TestAnotherEngineTakesOverADeadEnginesJobFromItsLastCheckpoint(t *testing.T) {
	const objects = 20000
	h := newHarness(t)
	h.bucket(alice, "photos")
	h.fill("photos", objects)
	h.setUsage("photos", corrupt)
	noRelease := false

	// Engine A dies (its context ends, its lease is left to expire) right
	// after its third checkpoint commits.
	ctxA, killA := context.WithCancel(h.ctx)
	a := h.engine(func(c *Config) {
		c.Lease = time.Second
		c.ReleaseOnStop = &noRelease
		c.Signal = func(event string, id int32) {
			h.sig.record(event, id)
			if event == SignalCheckpoint && h.sig.count(SignalCheckpoint, id) == 3 {
				killA()
			}
		}
	}, NewMetricReconciliation())
	j := h.create(a, alice, TypeMetricReconciliation, "photos", nil)
	doneA := make(chan struct{})
	go func() {
		defer close(doneA)
		_ = a.Run(ctxA)
	}()
	<-doneA

	left := h.job(j.ID)
	if left.State.Terminal() || left.LeaseOwner != a.InstanceID() || left.Stats.Processed == 0 || left.Stats.Processed >= objects {
		t.Fatalf("engine A left the job as %+v", left)
	}

	b := h.engine(func(c *Config) { c.Lease = time.Second }, NewMetricReconciliation())
	h.start(b)
	done := h.finished(j.ID)

	if done.State != meta.JobComplete || done.Attempts != 2 {
		t.Fatalf("job ended %s (%s) after %d attempts", done.State, done.Message, done.Attempts)
	}
	if done.Stats.Processed != objects || done.Stats.Total != objects || done.Stats.Skipped != 0 {
		t.Fatalf("stats %+v, want exactly %d processed", done.Stats, objects)
	}
	if stored, counted := h.usage("photos"); stored != counted || stored.Objects != objects {
		t.Fatalf("counters %+v, counted %+v", stored, counted)
	}
	if h.sig.count(SignalReleased, j.ID) != 0 {
		t.Fatal("engine A released its lease although told not to")
	}
}

func TestAStoppingEngineReleasesItsJobsForImmediateTakeover(t *testing.T) {
	h := newHarness(t)
	h.bucket(alice, "photos")
	a := h.engine(func(c *Config) { c.Lease = time.Minute }, looping(TypeTriggerReconciliation))
	stopA := h.start(a)
	j := h.create(a, alice, TypeTriggerReconciliation, "photos", nil)
	h.sig.wait(t, SignalCheckpoint, j.ID, 2)
	stopA()
	h.sig.wait(t, SignalReleased, j.ID, 1)
	kept := h.job(j.ID)

	// With a one-minute lease, only a release lets B start within the wait.
	b := h.engine(func(c *Config) { c.Lease = time.Minute }, looping(TypeTriggerReconciliation))
	h.start(b)
	h.sig.wait(t, SignalClaimed, j.ID, 2)
	h.sig.wait(t, SignalCheckpoint, j.ID, h.sig.count(SignalCheckpoint, j.ID)+1)
	now := h.job(j.ID)
	if now.LeaseOwner != b.InstanceID() || now.Attempts != 2 || now.Stats.Processed <= kept.Stats.Processed {
		t.Fatalf("after takeover: %+v (A left %+v)", now, kept)
	}
}

func TestARunningJobKeepsItsLeaseByRenewingIt(t *testing.T) {
	h := newHarness(t)
	h.bucket(alice, "photos")
	const lease = 300 * time.Millisecond
	var progressed atomic.Int64
	a := h.engine(func(c *Config) {
		c.Lease = lease
		c.OnProgress = func(jobType string, processed, failed int64) {
			if jobType == TypeTriggerReconciliation {
				progressed.Add(processed)
			}
		}
	}, stalling(TypeTriggerReconciliation, 3))
	h.start(a)
	j := h.create(a, alice, TypeTriggerReconciliation, "photos", nil)
	h.sig.wait(t, SignalClaimed, j.ID, 1)
	// A second engine keeps trying to claim: it must not get the job.
	h.start(h.engine(func(c *Config) { c.Lease = lease }, stalling(TypeTriggerReconciliation, 3)))

	// Four renewals span more than one lease.
	h.sig.wait(t, SignalRenewed, j.ID, 4)
	held := h.job(j.ID)
	if held.LeaseOwner != a.InstanceID() || held.Attempts != 1 || h.sig.count(SignalClaimed, j.ID) != 1 {
		t.Fatalf("job after renewals: %+v, claimed %d times", held, h.sig.count(SignalClaimed, j.ID))
	}
	if got := progressed.Load(); got != 3 {
		t.Fatalf("OnProgress reported %d processed, want 3", got)
	}
}
