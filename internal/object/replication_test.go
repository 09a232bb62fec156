package object

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metatest"
)

// fakePlanner replicates every version whose key starts with "r/" to two
// destinations (delete markers to the first only), records what it was
// asked, and counts Notify calls.
type fakePlanner struct {
	mu      sync.Mutex
	planned []string // keys planned, in order
	notify  int
	// inTx, when set, checks that the plan runs inside the write's
	// transaction: the version must not be visible yet.
	inTx func(v *meta.Version)
}

const (
	destA = "arn:quarry:replication:us-east-1:aaaaaaaaaaaa:dest-a"
	destB = "arn:quarry:replication:us-east-1:bbbbbbbbbbbb:dest-b"
)

// replEntry is an outbox entry as the replication package writes them.
func replEntry(b *meta.Bucket, v *meta.Version, dest string) meta.OutboxEntry {
	e := meta.OutboxEntry{Kind: "replication", Destination: dest, Bucket: b.Name, Key: v.Key, VersionID: v.VersionID,
		NextAttempt: v.LastModified, CreatedAt: v.LastModified}
	if v.DeleteMarker {
		e.Payload = []byte(`{"deleteMarker":true}`)
	}
	return e
}

func (f *fakePlanner) Plan(b *meta.Bucket, v *meta.Version) []meta.OutboxEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.planned = append(f.planned, v.Key)
	if f.inTx != nil {
		f.inTx(v)
	}
	if !strings.HasPrefix(v.Key, "r/") {
		return nil
	}
	if v.DeleteMarker {
		return []meta.OutboxEntry{replEntry(b, v, destA)}
	}
	return []meta.OutboxEntry{replEntry(b, v, destA), replEntry(b, v, destB)}
}

func (f *fakePlanner) Notify() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notify++
}

func (f *fakePlanner) counts() (planned, notified int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.planned), f.notify
}

func newReplicatingHarness(t *testing.T) (*harness, *fakePlanner) {
	planner := &fakePlanner{}
	h := newHarness(t, func(c *Config) { c.Replication, c.Notify = planner, planner.Notify })
	h.bucket("src", meta.VersioningEnabled)
	return h, planner
}

// queuedTask is a replication entry of the outbox, read back.
type queuedTask struct {
	Bucket, Key, VersionID, TargetARN string
	DeleteMarker                      bool
}

// outbox returns the replication entries queued since the last call.
func (h *harness) outbox() []queuedTask {
	h.t.Helper()
	var entries []meta.OutboxEntry
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		var err error
		entries, err = tx.ListOutbox(meta.OutboxFilter{Kind: "replication", AfterID: h.outboxSeen})
		return err
	})
	if err != nil {
		h.t.Fatalf("list outbox: %v", err)
	}
	var tasks []queuedTask
	for _, e := range entries {
		tasks = append(tasks, queuedTask{Bucket: e.Bucket, Key: e.Key, VersionID: e.VersionID, TargetARN: e.Destination,
			DeleteMarker: string(e.Payload) == `{"deleteMarker":true}`})
		h.outboxSeen = e.ID
	}
	return tasks
}

func (h *harness) versionStates(bucket, key, versionID string) map[string]meta.ReplicationStatus {
	h.t.Helper()
	states := map[string]meta.ReplicationStatus{}
	err := h.meta.View(h.ctx, func(tx meta.Tx) error {
		rs, err := tx.ListVersionReplication(bucket, key, versionID)
		for _, r := range rs {
			states[r.TargetARN] = r.Status
		}
		return err
	})
	if err != nil {
		h.t.Fatalf("list version replication: %v", err)
	}
	return states
}

func (h *harness) headStatus(bucket, key, versionID string) meta.ReplicationStatus {
	h.t.Helper()
	out, err := h.svc.HeadObject(h.ctx, alice, GetInput{Bucket: bucket, Key: key, VersionID: versionID})
	if err != nil {
		h.t.Fatalf("head %s/%s: %v", bucket, key, err)
	}
	return out.Version.ReplicationStatus
}

func TestNewVersionsQueueTheirReplicationInTheSameCommit(t *testing.T) {
	tests := []struct {
		name  string
		write func(h *harness) *meta.Version
	}{
		{"a put", func(h *harness) *meta.Version { return h.put("src", "r/put", "data") }},
		{"a copy", func(h *harness) *meta.Version {
			h.put("src", "plain", "data")
			res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "src", SrcKey: "plain", Bucket: "src", Key: "r/copy"})
			if err != nil {
				t.Fatalf("copy: %v", err)
			}
			return res.Version
		}},
		{"a multipart completion", func(h *harness) *meta.Version {
			return completeUpload(h, "r/multipart", ObjectAttrs{})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, planner := newReplicatingHarness(t)
			v := tt.write(h)
			if v.ReplicationStatus != meta.ReplicationPending {
				t.Fatalf("returned status %q, want PENDING", v.ReplicationStatus)
			}
			if got := h.headStatus("src", v.Key, v.VersionID); got != meta.ReplicationPending {
				t.Fatalf("stored status %q, want PENDING", got)
			}
			tasks := h.outbox()
			if len(tasks) != 2 {
				t.Fatalf("outbox %+v, want 2 tasks", tasks)
			}
			for _, task := range tasks {
				if task.Bucket != "src" || task.Key != v.Key || task.VersionID != v.VersionID || task.DeleteMarker {
					t.Fatalf("task %+v does not name version %s", task, v.VersionID)
				}
			}
			states := h.versionStates("src", v.Key, v.VersionID)
			if states[destA] != meta.ReplicationPending || states[destB] != meta.ReplicationPending || len(states) != 2 {
				t.Fatalf("per-destination states %v", states)
			}
			if _, notified := planner.counts(); notified != 1 {
				t.Fatalf("Notify called %d times, want 1", notified)
			}
		})
	}
}

func TestVersionsNoRuleSelectsQueueNothingAndWakeNobody(t *testing.T) {
	h, planner := newReplicatingHarness(t)
	v := h.put("src", "other", "data")
	if v.ReplicationStatus != meta.ReplicationNone || h.headStatus("src", "other", v.VersionID) != meta.ReplicationNone {
		t.Fatalf("status %q", v.ReplicationStatus)
	}
	if tasks := h.outbox(); len(tasks) != 0 {
		t.Fatalf("outbox %+v", tasks)
	}
	if planned, notified := planner.counts(); planned != 1 || notified != 0 {
		t.Fatalf("planned %d, notified %d", planned, notified)
	}
}

func TestDeleteMarkersAreQueuedWhereThePlannerSaysSo(t *testing.T) {
	h, _ := newReplicatingHarness(t)
	h.put("src", "r/k", "data")
	h.outbox() // the put's tasks, seen
	res := h.del("src", "r/k", "")
	tasks := h.outbox()
	if len(tasks) != 1 || !tasks[0].DeleteMarker || tasks[0].VersionID != res.VersionID || tasks[0].TargetARN != destA {
		t.Fatalf("outbox %+v after delete marker %s", tasks, res.VersionID)
	}
	states := h.versionStates("src", "r/k", res.VersionID)
	if len(states) != 1 || states[destA] != meta.ReplicationPending {
		t.Fatalf("marker states %v", states)
	}
}

func TestReplicaWritesAreNeverPlanned(t *testing.T) {
	tests := []struct {
		name  string
		write func(h *harness) (key, versionID string)
	}{
		{"a replica put", func(h *harness) (string, string) {
			v, err := h.svc.PutObject(h.ctx, alice, PutInput{Bucket: "src", Key: "r/put", Body: stringsReader("x"), Size: 1, Replica: true})
			if err != nil {
				t.Fatal(err)
			}
			return v.Key, v.VersionID
		}},
		{"a replica copy", func(h *harness) (string, string) {
			h.put("src", "plain", "x")
			res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "src", SrcKey: "plain", Bucket: "src", Key: "r/copy", Replica: true})
			if err != nil {
				t.Fatal(err)
			}
			return res.Version.Key, res.Version.VersionID
		}},
		{"an upload created as a replica", func(h *harness) (string, string) {
			v := completeUpload(h, "r/mp", ObjectAttrs{Replica: true, Headers: map[string]string{"Cache-Control": "no-cache"}})
			if len(v.Headers) != 1 || v.Headers["Cache-Control"] != "no-cache" {
				t.Fatalf("completed object headers %v: the replica mark leaked or a header was lost", v.Headers)
			}
			return v.Key, v.VersionID
		}},
		{"a replica delete marker", func(h *harness) (string, string) {
			res, err := h.svc.DeleteObjectReplica(h.ctx, alice, "src", "r/gone", "")
			if err != nil || !res.DeleteMarker {
				t.Fatalf("replica delete %+v: %v", res, err)
			}
			return "r/gone", res.VersionID
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, planner := newReplicatingHarness(t)
			planner.inTx = func(v *meta.Version) {
				if strings.HasPrefix(v.Key, "r/") {
					t.Errorf("replica %s was planned", v.Key)
				}
			}
			key, versionID := tt.write(h)
			var status meta.ReplicationStatus
			err := h.meta.View(h.ctx, func(tx meta.Tx) error {
				v, err := tx.GetVersion("src", key, versionID)
				if err == nil {
					status = v.ReplicationStatus
				}
				return err
			})
			if err != nil || status != meta.ReplicationReplica {
				t.Fatalf("stored status %q (%v), want REPLICA", status, err)
			}
			if tasks := h.outbox(); len(tasks) != 0 {
				t.Fatalf("outbox %+v", tasks)
			}
		})
	}
}

func TestAFailedWriteLeavesNoReplicationBehind(t *testing.T) {
	h, planner := newReplicatingHarness(t)
	h.put("src", "r/k", "one")
	h.outbox()
	_, err := h.svc.PutObject(h.ctx, alice, PutInput{
		Bucket: "src", Key: "r/k", Body: stringsReader("two"), Size: 3,
		Cond: Conditions{IfMatch: `"not-the-etag"`},
	})
	wantErr(t, err, ErrPreconditionFailed)
	if tasks := h.outbox(); len(tasks) != 0 {
		t.Fatalf("outbox %+v after a refused write", tasks)
	}
	if _, notified := planner.counts(); notified != 1 {
		t.Fatalf("Notify called %d times, want once (for the first put)", notified)
	}
}

func TestPlanRunsBeforeTheVersionIsStored(t *testing.T) {
	h, planner := newReplicatingHarness(t)
	planner.inTx = func(v *meta.Version) {
		if v.VersionID == "" || v.Bucket != "src" {
			t.Errorf("planned version has id %q and bucket %q: putVersion fills them first", v.VersionID, v.Bucket)
		}
		if v.Seq != 0 {
			t.Errorf("planned version already stored (seq %d)", v.Seq)
		}
	}
	h.put("src", "r/k", "data")
}

func TestVersioningCannotBeSuspendedWhileTheBucketReplicates(t *testing.T) {
	h, _ := newReplicatingHarness(t)
	err := h.meta.Update(h.ctx, func(tx meta.Tx) error {
		return tx.SetBucketReplication("src", []byte(`{"rules":[]}`), []string{destA})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = h.svc.SetVersioning(h.ctx, alice, "src", meta.VersioningSuspended)
	wantErr(t, err, ErrInvalidBucketState)
	if b, _ := h.svc.HeadBucket(h.ctx, alice, "src"); b.Versioning != meta.VersioningEnabled {
		t.Fatalf("versioning became %q", b.Versioning)
	}
	if err := h.svc.SetVersioning(h.ctx, alice, "src", meta.VersioningEnabled); err != nil {
		t.Fatalf("re-enabling versioning: %v", err)
	}
	err = h.meta.Update(h.ctx, func(tx meta.Tx) error { return tx.SetBucketReplication("src", nil, nil) })
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetVersioning(h.ctx, alice, "src", meta.VersioningSuspended); err != nil {
		t.Fatalf("suspending without a configuration: %v", err)
	}
}

func TestWithoutAPlannerNothingIsQueued(t *testing.T) {
	h := newHarness(t)
	h.bucket("src", meta.VersioningEnabled)
	v := h.put("src", "r/k", "data")
	if v.ReplicationStatus != meta.ReplicationNone || len(h.outbox()) != 0 {
		t.Fatalf("status %q, outbox %v", v.ReplicationStatus, h.outbox())
	}
}

// completeUpload runs a one-part multipart upload of key in "src".
func completeUpload(h *harness, key string, attrs ObjectAttrs) *meta.Version {
	h.t.Helper()
	ctx := context.Background()
	up, err := h.svc.CreateMultipartUpload(ctx, alice, "src", key, attrs, "", "")
	if err != nil {
		h.t.Fatalf("create upload: %v", err)
	}
	part, err := h.svc.UploadPart(ctx, alice, PartInput{Bucket: "src", Key: key, UploadID: up.ID, Number: 1, Body: bytes.NewReader([]byte("part")), Size: 4})
	if err != nil {
		h.t.Fatalf("upload part: %v", err)
	}
	v, err := h.svc.CompleteMultipartUpload(ctx, alice, "src", key, up.ID, []CompletePart{{Number: 1, ETag: part.ETag}})
	if err != nil {
		h.t.Fatalf("complete: %v", err)
	}
	return v
}

// firstPlanOnly replicates every version to destA, but only the first time
// it is asked: as if the bucket's configuration had been removed by the
// transaction that made the first attempt of a write fail.
type firstPlanOnly struct{ asked int }

func (f *firstPlanOnly) Plan(b *meta.Bucket, v *meta.Version) []meta.OutboxEntry {
	f.asked++
	if f.asked > 1 {
		return nil
	}
	return []meta.OutboxEntry{replEntry(b, v, destA)}
}

func (f *firstPlanOnly) Notify() {}

// TestPutRunTwiceKeepsNothingOfTheFirstRun: the metadata store may run a
// write's transaction again (meta.Store.Update); the second run must not
// inherit what the first decided (here, that the version replicates).
func TestPutRunTwiceKeepsNothingOfTheFirstRun(t *testing.T) {
	for _, op := range []string{"put", "copy"} {
		t.Run(op, func(t *testing.T) {
			planner := &firstPlanOnly{}
			h := newHarness(t)
			h.bucket("bkt", meta.VersioningEnabled)
			h.put("bkt", "src", "source")
			h = &harness{t: t, ctx: h.ctx, meta: h.meta, blobs: h.blobs, svc: New(Config{
				Meta: metatest.Rerun(h.meta), Blobs: h.blobs, MinPartSize: 5, Replication: planner,
			})}
			var v *meta.Version
			switch op {
			case "put":
				v = h.put("bkt", "k", "data")
			case "copy":
				res, err := h.svc.CopyObject(h.ctx, alice, CopyInput{SrcBucket: "bkt", SrcKey: "src", Bucket: "bkt", Key: "k"})
				if err != nil {
					t.Fatal(err)
				}
				v = res.Version
			}
			if planner.asked != 2 {
				t.Fatalf("planned %d times, want 2 (one per run)", planner.asked)
			}
			var stored *meta.Version
			if err := h.meta.View(h.ctx, func(tx meta.Tx) error {
				var err error
				stored, err = tx.GetVersion("bkt", "k", v.VersionID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if stored.ReplicationStatus != meta.ReplicationNone || v.ReplicationStatus != meta.ReplicationNone {
				t.Errorf("replication status stored %q, returned %q; want none: the run that committed planned no replication",
					stored.ReplicationStatus, v.ReplicationStatus)
			}
		})
	}
}
