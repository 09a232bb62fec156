package metatest

import (
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// testWorkText: what a request names a target, a bucket or a fault domain
// by may be any bytes. A name no row could have is ErrNotFound (or matches
// nothing) and leaves the transaction usable, on a database whose text
// columns take valid UTF-8 only as on one that takes anything; and error
// texts, which may quote what a remote server sent, are stored whatever
// bytes they hold.
func testWorkText(t *testing.T, open func(t *testing.T) meta.Store) {
	bad := []string{"arn\x00nul", "arn\xff", "arn\xc3"}

	t.Run("lookups by names no row can have find nothing and leave the transaction usable", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx meta.Tx) error {
			for _, name := range bad {
				_, err := tx.GetReplicationTarget(name)
				wantErr(t, "get replication target "+name, err, meta.ErrNotFound)
				wantErr(t, "set replication target access", tx.SetReplicationTargetAccess(name, true, nil), meta.ErrNotFound)
				wantErr(t, "delete replication target", tx.DeleteReplicationTarget(name), meta.ErrNotFound)
				_, err = tx.GetNotificationTarget(name)
				wantErr(t, "get notification target", err, meta.ErrNotFound)
				wantErr(t, "delete notification target", tx.DeleteNotificationTarget(name), meta.ErrNotFound)
				_, err = tx.GetStorageFaultDomain(name)
				wantErr(t, "get fault domain", err, meta.ErrNotFound)
				wantErr(t, "set bucket replication", tx.SetBucketReplication(name, []byte("<x/>"), nil), meta.ErrNotFound)
				wantErr(t, "set bucket notification", tx.SetBucketNotification(name, []byte("<x/>"), nil), meta.ErrNotFound)
				_, err = tx.CountUsage(name)
				wantErr(t, "count usage", err, meta.ErrNotFound)
				_, err = tx.CountVersions(name, "")
				wantErr(t, "count versions", err, meta.ErrNotFound)
				if bs, err := tx.BucketsUsingTarget(name); err != nil || len(bs) != 0 {
					t.Errorf("buckets using %q = %v, %v; want none", name, bs, err)
				}
				if bs, err := tx.BucketsNotifyingTarget(name); err != nil || len(bs) != 0 {
					t.Errorf("buckets notifying %q = %v, %v; want none", name, bs, err)
				}
				if js, err := tx.ListJobs(meta.JobFilter{Bucket: name}); err != nil || len(js) != 0 {
					t.Errorf("jobs of bucket %q = %v, %v; want none", name, js, err)
				}
				if rs, err := tx.ListVersionReplication(name, "k", "v"); err != nil || len(rs) != 0 {
					t.Errorf("replication states of %q = %v, %v; want none", name, rs, err)
				}
			}
			// Still usable: a write in the same transaction succeeds.
			rt := fullTarget("arn:quarry:replication:r:1:ok", "ok")
			return tx.CreateReplicationTarget(&rt)
		})
		getTarget(t, s, "arn:quarry:replication:r:1:ok")
	})

	t.Run("error texts with any bytes are stored with the outcome they explain", func(t *testing.T) {
		s := open(t)
		const remote = "remote said \x00\xff\xfe"
		e := enqueue(t, s, entry("b", "k", "arn:d", at(0)))
		got := claim(t, s, "x", at(10), at(100), 1)
		assertEntryIDs(t, "claim", got, e.ID)
		settle(t, s, e.ID, "x", meta.OutboxSettle{State: meta.OutboxFailed, Attempts: 1, LastError: remote, At: at(11)})
		view(t, s, func(tx meta.Tx) error {
			stored, err := tx.GetOutbox(e.ID)
			wantErr(t, "get entry", err, nil)
			if stored.State != meta.OutboxFailed || stored.LastError == "" {
				t.Errorf("entry %s with error %q, want FAILED with the error", stored.State, stored.LastError)
			}
			return nil
		})

		j := createJob(t, s, newJob("b", "T"))
		addFailure(t, s, meta.JobFailure{JobID: j.ID, Key: "k", Reason: remote, Time: at(5)})
		if fs := listFailures(t, s, j.ID, 0, 0); len(fs) != 1 || fs[0].Reason == "" {
			t.Errorf("failures %v, want one with its reason", fs)
		}
		claimed := claimJob(t, s, "e", at(10), at(100))
		claimed.State, claimed.Message, claimed.CompletedAt = meta.JobFailed, remote, at(20)
		update(t, s, func(tx meta.Tx) error { return tx.SaveJob(claimed, "e") })
		if got := getJob(t, s, j.ID); got.State != meta.JobFailed || got.Message == "" {
			t.Errorf("job %s with message %q, want FAILED with the message", got.State, got.Message)
		}
	})
}
