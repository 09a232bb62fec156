package usage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/usage"
)

// fill inserts n one-byte object versions straight into the metadata, in a
// few big transactions, with the usage counters to match.
func (h *harness) fill(bucket string, n int) {
	h.T.Helper()
	const perTx = 5000
	for start := 0; start < n; start += perTx {
		end := min(start+perTx, n)
		err := h.Meta.Update(h.Ctx, func(tx meta.Tx) error {
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
			h.T.Fatalf("fill %s: %v", bucket, err)
		}
	}
}

func TestAnotherEngineTakesOverADeadEnginesJobFromItsLastCheckpoint(t *testing.T) {
	const objects = 20000
	h := newHarness(t)
	h.Bucket(alice, "photos")
	h.fill("photos", objects)
	h.SetUsage("photos", corrupt)
	noRelease := false

	// job.Engine A dies (its context ends, its lease is left to expire) right
	// after its third checkpoint commits.
	ctxA, killA := context.WithCancel(h.Ctx)
	a := h.Engine(func(c *job.Config) {
		c.Lease = time.Second
		c.ReleaseOnStop = &noRelease
		c.Signal = func(event string, id int32) {
			h.Sig.Record(event, id)
			if event == job.SignalCheckpoint && h.Sig.Count(job.SignalCheckpoint, id) == 3 {
				killA()
			}
		}
	}, usage.NewMetricReconciliation())
	j := h.Create(a, alice, job.TypeMetricReconciliation, "photos", nil)
	doneA := make(chan struct{})
	go func() {
		defer close(doneA)
		_ = a.Run(ctxA)
	}()
	<-doneA

	left := h.Job(j.ID)
	if left.State.Terminal() || left.LeaseOwner != a.InstanceID() || left.Stats.Processed == 0 || left.Stats.Processed >= objects {
		t.Fatalf("engine A left the job as %+v", left)
	}

	b := h.Engine(func(c *job.Config) { c.Lease = time.Second }, usage.NewMetricReconciliation())
	h.Start(b)
	done := h.Finished(j.ID)

	if done.State != meta.JobComplete || done.Attempts != 2 {
		t.Fatalf("job ended %s (%s) after %d attempts", done.State, done.Message, done.Attempts)
	}
	if done.Stats.Processed != objects || done.Stats.Total != objects || done.Stats.Skipped != 0 {
		t.Fatalf("stats %+v, want exactly %d processed", done.Stats, objects)
	}
	if stored, counted := h.Usage("photos"); stored != counted || stored.Objects != objects {
		t.Fatalf("counters %+v, counted %+v", stored, counted)
	}
	if h.Sig.Count(job.SignalReleased, j.ID) != 0 {
		t.Fatal("engine A released its lease although told not to")
	}
}
