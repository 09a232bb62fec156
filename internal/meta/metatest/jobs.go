package metatest

import (
	"bytes"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// newJob is a job of type typ on bucket as an engine would create it.
func newJob(bucket, typ string) meta.Job {
	return meta.Job{Type: typ, Bucket: bucket, OwnerID: 1, UserID: 2, State: meta.JobExamining, CreatedAt: at(1)}
}

// createJob creates j in its own Update and returns it with its ID.
func createJob(t *testing.T, s meta.Store, j meta.Job) meta.Job {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.CreateJob(&j) })
	if j.ID <= 0 {
		t.Fatalf("CreateJob set ID %d, want > 0", j.ID)
	}
	return j
}

func getJob(t *testing.T, s meta.Store, id int32) meta.Job {
	t.Helper()
	var j *meta.Job
	view(t, s, func(tx meta.Tx) error {
		var err error
		j, err = tx.GetJob(id)
		wantErr(t, "get job", err, nil)
		return nil
	})
	return *j
}

// endJob claims the job with id (which must be the only claimable one) and
// saves it in state at completed.
func endJob(t *testing.T, s meta.Store, id int32, state meta.JobState, completed time.Time) {
	t.Helper()
	j := claimJob(t, s, "ender", at(1000), at(2000))
	if j.ID != id {
		t.Fatalf("claimed job %d, want %d", j.ID, id)
	}
	j.State, j.CompletedAt = state, completed
	update(t, s, func(tx meta.Tx) error { return tx.SaveJob(j, "ender") })
}

func testJobs(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("a created job reads back as written, every field", func(t *testing.T) {
		s := open(t)
		want := newJob("b", "BATCH_REPLICATE")
		want.Params = map[string]string{"targetId": "t1", "prefix": "ünï/"}
		want.Stats = meta.JobStats{Processed: 1, Failed: 2, Total: 3, Skipped: 4, Bytes: 5}
		want.Result = []byte(`{"replicated":1}`)
		want.Message = "queued"
		want.Cursor = []byte("key\x00version")
		want = createJob(t, s, want)
		assertJob(t, getJob(t, s, want.ID), want)
	})

	t.Run("a job without params, result or cursor reads back with nil ones", func(t *testing.T) {
		s := open(t)
		j := createJob(t, s, newJob("b", "LIFECYCLE_UPDATE"))
		got := getJob(t, s, j.ID)
		if got.Params != nil || got.Result != nil || got.Cursor != nil {
			t.Errorf("params %v result %q cursor %q, want nil", got.Params, got.Result, got.Cursor)
		}
	})

	t.Run("creating a job in a terminal or unknown state fails without ErrExists", func(t *testing.T) {
		s := open(t)
		for _, state := range []meta.JobState{meta.JobComplete, meta.JobFailed, meta.JobCancelled, "", "RUNNING"} {
			j := newJob("b", "T")
			j.State = state
			err := s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateJob(&j) })
			if err == nil || errors.Is(err, meta.ErrExists) {
				t.Errorf("create in state %q: error %v, want a non-ErrExists error", state, err)
			}
		}
	})

	t.Run("missing jobs are ErrNotFound everywhere", func(t *testing.T) {
		s := open(t)
		view(t, s, func(tx meta.Tx) error {
			_, err := tx.GetJob(404)
			wantErr(t, "get", err, meta.ErrNotFound)
			return nil
		})
		for name, fn := range map[string]func(meta.Tx) error{
			"renew":       func(tx meta.Tx) error { _, err := tx.RenewLease(404, "e", at(10)); return err },
			"save":        func(tx meta.Tx) error { j := newJob("b", "T"); j.ID = 404; return tx.SaveJob(&j, "e") },
			"cancel":      func(tx meta.Tx) error { _, err := tx.CancelJob(404, at(10)); return err },
			"add failure": func(tx meta.Tx) error { return tx.AddJobFailure(&meta.JobFailure{JobID: 404, Key: "k"}) },
		} {
			wantErr(t, name, s.Update(ctx(), fn), meta.ErrNotFound)
		}
	})

	t.Run("a second active job of a type on a bucket names the first, until the first ends", func(t *testing.T) {
		s := open(t)
		first := createJob(t, s, newJob("b", "T"))
		createJob(t, s, newJob("b", "OTHER"))
		createJob(t, s, newJob("c", "T"))

		second := newJob("b", "T")
		err := s.Update(ctx(), func(tx meta.Tx) error { return tx.CreateJob(&second) })
		var active *meta.ActiveJobError
		if !errors.As(err, &active) || active.ID != first.ID {
			t.Fatalf("second create: error %v, want *ActiveJobError naming job %d", err, first.ID)
		}
		wantErr(t, "second create", err, meta.ErrExists)

		endJob(t, s, first.ID, meta.JobComplete, at(20))
		again := createJob(t, s, newJob("b", "T"))
		if again.ID <= first.ID {
			t.Errorf("job created after the first ended has id %d, want > %d", again.ID, first.ID)
		}
	})

	t.Run("a refused create inside a transaction leaves it usable", func(t *testing.T) {
		s := open(t)
		first := createJob(t, s, newJob("b", "T"))
		update(t, s, func(tx meta.Tx) error {
			dup := newJob("b", "T")
			if err := tx.CreateJob(&dup); !errors.Is(err, meta.ErrExists) {
				t.Errorf("duplicate create: %v, want ErrExists", err)
			}
			other := newJob("b", "OTHER")
			return tx.CreateJob(&other)
		})
		jobs := listJobs(t, s, meta.JobFilter{Bucket: "b"})
		if len(jobs) != 2 || jobs[1].ID != first.ID {
			t.Errorf("jobs on b = %v, want the first and the other-type one", jobIDs(jobs))
		}
	})

	t.Run("job ids grow strictly and are not reused after retention deletes them", func(t *testing.T) {
		s := open(t)
		a := createJob(t, s, newJob("b", "T"))
		endJob(t, s, a.ID, meta.JobComplete, at(10))
		b := createJob(t, s, newJob("b", "T"))
		endJob(t, s, b.ID, meta.JobFailed, at(11))
		update(t, s, func(tx meta.Tx) error {
			n, err := tx.DeleteJobsBefore(at(100))
			if n != 2 {
				t.Errorf("deleted %d jobs, want 2", n)
			}
			return err
		})
		c := createJob(t, s, newJob("b", "T"))
		if !(a.ID < b.ID && b.ID < c.ID) {
			t.Errorf("ids %d, %d, %d do not grow strictly", a.ID, b.ID, c.ID)
		}
	})

	t.Run("a job's record outlives its bucket", func(t *testing.T) {
		s := open(t)
		createBucket(t, s, "b")
		j := createJob(t, s, newJob("b", "T"))
		update(t, s, func(tx meta.Tx) error { return tx.DeleteBucket("b") })
		assertJob(t, getJob(t, s, j.ID), j)
	})
}

func assertJob(t *testing.T, got, want meta.Job) {
	t.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.Bucket != want.Bucket ||
		got.OwnerID != want.OwnerID || got.UserID != want.UserID || !maps.Equal(got.Params, want.Params) ||
		got.State != want.State || got.Stats != want.Stats || !bytes.Equal(got.Result, want.Result) ||
		got.Message != want.Message || !bytes.Equal(got.Cursor, want.Cursor) ||
		got.CancelRequested != want.CancelRequested || !sameTime(got.CreatedAt, want.CreatedAt) ||
		!sameTime(got.CompletedAt, want.CompletedAt) || got.LeaseOwner != want.LeaseOwner ||
		!sameTime(got.LeaseExpires, want.LeaseExpires) || got.Attempts != want.Attempts {
		t.Errorf("job = %+v,\nwant %+v", got, want)
	}
}
