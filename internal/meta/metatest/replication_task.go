package metatest

import (
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// task is a fresh outbox entry due at next.
func task(bucket, key, versionID, arn string, next time.Time) meta.ReplicationTask {
	return meta.ReplicationTask{Bucket: bucket, Key: key, VersionID: versionID, TargetARN: arn,
		NextAttempt: next, CreatedAt: next}
}

// enqueue inserts rt in its own Update and returns it with its ID.
func enqueue(t *testing.T, s meta.Store, rt meta.ReplicationTask) meta.ReplicationTask {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.EnqueueReplication(&rt) })
	return rt
}

func claimTasks(t *testing.T, s meta.Store, owner string, now, until time.Time, limit int) []meta.ReplicationTask {
	t.Helper()
	var got []meta.ReplicationTask
	update(t, s, func(tx meta.Tx) error {
		var err error
		got, err = tx.ClaimReplicationTasks(owner, now, until, limit)
		return err
	})
	return got
}

func taskIDs(ts []meta.ReplicationTask) []int64 {
	var ids []int64
	for _, rt := range ts {
		ids = append(ids, rt.ID)
	}
	return ids
}

func assertTaskIDs(t *testing.T, what string, got []meta.ReplicationTask, want ...int64) {
	t.Helper()
	ids := taskIDs(got)
	if len(ids) != len(want) {
		t.Errorf("%s = tasks %v, want %v", what, ids, want)
		return
	}
	for i := range ids {
		if ids[i] != want[i] {
			t.Errorf("%s = tasks %v, want %v", what, ids, want)
			return
		}
	}
}

func assertTaskCount(t *testing.T, s meta.Store, bucket string, want int64) {
	t.Helper()
	view(t, s, func(tx meta.Tx) error {
		n, err := tx.CountReplicationTasks(bucket)
		wantErr(t, "count tasks", err, nil)
		if n != want {
			t.Errorf("tasks of %q = %d, want %d", bucket, n, want)
		}
		return nil
	})
}

func testReplicationTasks(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("enqueued tasks get growing ids and are claimed with every field", func(t *testing.T) {
		s := open(t)
		want := meta.ReplicationTask{Bucket: "b", Key: "dir/ünï", VersionID: "v1", TargetARN: "arn:a",
			DeleteMarker: true, Attempts: 2, NextAttempt: at(5), LastError: "earlier failure", CreatedAt: at(1)}
		first := task("b", "k", "v0", "arn:a", at(9))
		update(t, s, func(tx meta.Tx) error { return tx.EnqueueReplication(&first, &want) })
		if first.ID <= 0 || want.ID <= first.ID {
			t.Fatalf("ids %d then %d, want positive and growing", first.ID, want.ID)
		}
		got := claimTasks(t, s, "r1", at(6), at(20), 0)
		assertTaskIDs(t, "claim", got, want.ID)
		want.LeaseOwner, want.LeaseExpires = "r1", at(20)
		g := got[0]
		if g.Bucket != want.Bucket || g.Key != want.Key || g.VersionID != want.VersionID ||
			g.TargetARN != want.TargetARN || g.DeleteMarker != want.DeleteMarker || g.Attempts != want.Attempts ||
			!sameTime(g.NextAttempt, want.NextAttempt) || g.LastError != want.LastError ||
			g.LeaseOwner != want.LeaseOwner || !sameTime(g.LeaseExpires, want.LeaseExpires) ||
			!sameTime(g.CreatedAt, want.CreatedAt) {
			t.Errorf("claimed =\n  %+v\nwant\n  %+v", g, want)
		}
	})

	t.Run("due tasks are claimed most overdue first, up to the limit, each once while leased", func(t *testing.T) {
		s := open(t)
		a := enqueue(t, s, task("b", "a", "1", "arn:x", at(3)))
		b := enqueue(t, s, task("b", "b", "1", "arn:x", at(1)))
		c := enqueue(t, s, task("b", "c", "1", "arn:x", at(3)))
		d := enqueue(t, s, task("b", "d", "1", "arn:x", at(2)))
		late := enqueue(t, s, task("b", "e", "1", "arn:x", at(100)))
		assertTaskIDs(t, "first claim", claimTasks(t, s, "r1", at(10), at(200), 3), b.ID, d.ID, a.ID)
		assertTaskIDs(t, "second claim", claimTasks(t, s, "r2", at(10), at(200), 3), c.ID)
		assertTaskIDs(t, "third claim", claimTasks(t, s, "r3", at(10), at(200), 3))
		assertTaskIDs(t, "claim once due", claimTasks(t, s, "r3", at(100), at(200), 0), late.ID)
	})

	t.Run("a task due exactly now is claimed", func(t *testing.T) {
		s := open(t)
		rt := enqueue(t, s, task("b", "k", "1", "arn:x", at(10)))
		assertTaskIDs(t, "claim before due", claimTasks(t, s, "r", at(9), at(20), 0))
		assertTaskIDs(t, "claim when due", claimTasks(t, s, "r", at(10), at(20), 0), rt.ID)
	})

	t.Run("an expired lease is claimed by another replicator, not at the very expiry instant", func(t *testing.T) {
		s := open(t)
		rt := enqueue(t, s, task("b", "k", "1", "arn:x", at(0)))
		claimTasks(t, s, "first", at(1), at(10), 0)
		assertTaskIDs(t, "claim at expiry", claimTasks(t, s, "second", at(10), at(30), 0))
		got := claimTasks(t, s, "second", at(11), at(30), 0)
		assertTaskIDs(t, "claim after expiry", got, rt.ID)
		if got[0].LeaseOwner != "second" || !sameTime(got[0].LeaseExpires, at(30)) {
			t.Errorf("lease = %q until %v, want second until %v", got[0].LeaseOwner, got[0].LeaseExpires, at(30))
		}
	})

	t.Run("a retry records the attempt, releases the lease and delays the task", func(t *testing.T) {
		s := open(t)
		rt := enqueue(t, s, task("b", "k", "1", "arn:x", at(0)))
		claimTasks(t, s, "r", at(1), at(100), 0)
		update(t, s, func(tx meta.Tx) error { return tx.RetryReplicationTask(rt.ID, 1, at(50), "connection refused") })
		assertTaskIDs(t, "claim before the retry time", claimTasks(t, s, "other", at(49), at(60), 0))
		got := claimTasks(t, s, "other", at(50), at(60), 0)
		assertTaskIDs(t, "claim at the retry time, inside the old lease", got, rt.ID)
		if got[0].Attempts != 1 || got[0].LastError != "connection refused" || !sameTime(got[0].NextAttempt, at(50)) {
			t.Errorf("retried task = attempts %d error %q next %v, want 1, connection refused, %v",
				got[0].Attempts, got[0].LastError, got[0].NextAttempt, at(50))
		}
	})

	t.Run("a deleted task is never claimed again", func(t *testing.T) {
		s := open(t)
		rt := enqueue(t, s, task("b", "k", "1", "arn:x", at(0)))
		claimTasks(t, s, "r", at(1), at(10), 0)
		update(t, s, func(tx meta.Tx) error { return tx.DeleteReplicationTask(rt.ID) })
		assertTaskIDs(t, "claim after delete", claimTasks(t, s, "r", at(100), at(110), 0))
		assertTaskCount(t, s, "", 0)
	})

	t.Run("missing tasks are ErrNotFound to delete and retry", func(t *testing.T) {
		s := open(t)
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.DeleteReplicationTask(42) })
		wantErr(t, "delete", err, meta.ErrNotFound)
		err = s.Update(ctx(), func(tx meta.Tx) error { return tx.RetryReplicationTask(42, 1, at(1), "x") })
		wantErr(t, "retry", err, meta.ErrNotFound)
	})

	t.Run("claiming without an owner name fails and leases nothing", func(t *testing.T) {
		s := open(t)
		rt := enqueue(t, s, task("b", "k", "1", "arn:x", at(0)))
		err := s.Update(ctx(), func(tx meta.Tx) error {
			_, err := tx.ClaimReplicationTasks("", at(1), at(10), 0)
			return err
		})
		if err == nil {
			t.Fatal("claim with an empty owner succeeded")
		}
		assertTaskIDs(t, "claim after the refused one", claimTasks(t, s, "r", at(1), at(10), 0), rt.ID)
	})

	t.Run("tasks are counted per bucket and in all", func(t *testing.T) {
		s := open(t)
		assertTaskCount(t, s, "", 0)
		enqueue(t, s, task("a", "k", "1", "arn:x", at(0)))
		enqueue(t, s, task("a", "k", "1", "arn:y", at(0)))
		enqueue(t, s, task("b", "k", "1", "arn:x", at(0)))
		assertTaskCount(t, s, "a", 2)
		assertTaskCount(t, s, "b", 1)
		assertTaskCount(t, s, "c", 0)
		assertTaskCount(t, s, "", 3)
	})
}
