package metatest

import (
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// claimJob claims a job for owner and fails the test if there is none.
func claimJob(t *testing.T, s meta.Store, owner string, now, until time.Time) *meta.Job {
	t.Helper()
	j, err := tryClaim(s, owner, now, until)
	wantErr(t, "claim by "+owner, err, nil)
	return j
}

func tryClaim(s meta.Store, owner string, now, until time.Time) (*meta.Job, error) {
	var j *meta.Job
	err := s.Update(ctx(), func(tx meta.Tx) error {
		var err error
		j, err = tx.ClaimJob(owner, now, until)
		return err
	})
	return j, err
}

func renew(s meta.Store, id int32, owner string, until time.Time) (*meta.Job, error) {
	var j *meta.Job
	err := s.Update(ctx(), func(tx meta.Tx) error {
		var err error
		j, err = tx.RenewLease(id, owner, until)
		return err
	})
	return j, err
}

func save(s meta.Store, j meta.Job, owner string) error {
	return s.Update(ctx(), func(tx meta.Tx) error { return tx.SaveJob(&j, owner) })
}

func cancelJob(t *testing.T, s meta.Store, id int32, now time.Time) meta.Job {
	t.Helper()
	var j *meta.Job
	update(t, s, func(tx meta.Tx) error {
		var err error
		j, err = tx.CancelJob(id, now)
		return err
	})
	return *j
}

func testJobLeases(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("jobs are claimed oldest first, each once while its lease holds", func(t *testing.T) {
		s := open(t)
		a := createJob(t, s, newJob("a", "T"))
		b := createJob(t, s, newJob("b", "T"))
		c := createJob(t, s, newJob("c", "T"))
		for i, want := range []int32{a.ID, b.ID, c.ID} {
			owner := string(rune('x' + i))
			got := claimJob(t, s, owner, at(10), at(20))
			if got.ID != want || got.LeaseOwner != owner || !sameTime(got.LeaseExpires, at(20)) || got.Attempts != 1 {
				t.Errorf("claim %d = job %d owner %q until %v attempts %d, want job %d owner %q until %v attempts 1",
					i, got.ID, got.LeaseOwner, got.LeaseExpires, got.Attempts, want, owner, at(20))
			}
		}
		_, err := tryClaim(s, "late", at(15), at(25))
		wantErr(t, "claim with every job held", err, meta.ErrNotFound)
		stored := getJob(t, s, b.ID)
		if stored.LeaseOwner != "y" || stored.Attempts != 1 {
			t.Errorf("stored job %d: owner %q attempts %d, want y and 1", b.ID, stored.LeaseOwner, stored.Attempts)
		}
	})

	t.Run("there is nothing to claim in an empty store or among ended jobs", func(t *testing.T) {
		s := open(t)
		_, err := tryClaim(s, "e", at(10), at(20))
		wantErr(t, "claim in an empty store", err, meta.ErrNotFound)
		j := createJob(t, s, newJob("b", "T"))
		endJob(t, s, j.ID, meta.JobComplete, at(30))
		_, err = tryClaim(s, "e", at(5000), at(6000))
		wantErr(t, "claim with only an ended job", err, meta.ErrNotFound)
	})

	t.Run("an expired lease is taken over by another engine and the first loses it", func(t *testing.T) {
		s := open(t)
		j := createJob(t, s, newJob("b", "T"))
		claimJob(t, s, "first", at(0), at(10))
		_, err := tryClaim(s, "second", at(10), at(20))
		wantErr(t, "claim at the very expiry instant", err, meta.ErrNotFound)

		taken := claimJob(t, s, "second", at(11), at(30))
		if taken.ID != j.ID || taken.LeaseOwner != "second" || taken.Attempts != 2 {
			t.Errorf("takeover = job %d owner %q attempts %d, want job %d, second, 2", taken.ID, taken.LeaseOwner, taken.Attempts, j.ID)
		}
		_, err = renew(s, j.ID, "first", at(40))
		wantErr(t, "renew by the first engine", err, meta.ErrLeaseLost)

		stale := *taken
		stale.State, stale.Stats.Processed, stale.LeaseOwner = meta.JobProcessing, 99, "first"
		wantErr(t, "save by the first engine", save(s, stale, "first"), meta.ErrLeaseLost)
		if got := getJob(t, s, j.ID); got.State != meta.JobExamining || got.Stats.Processed != 0 || got.LeaseOwner != "second" {
			t.Errorf("after the lost save: state %s processed %d owner %q, want unchanged", got.State, got.Stats.Processed, got.LeaseOwner)
		}
		fresh := *taken
		fresh.State = meta.JobProcessing
		wantErr(t, "save by the second engine", save(s, fresh, "second"), nil)
	})

	t.Run("renewing extends the lease and shows a cancel request", func(t *testing.T) {
		s := open(t)
		j := createJob(t, s, newJob("b", "T"))
		claimJob(t, s, "e", at(0), at(10))
		got, err := renew(s, j.ID, "e", at(50))
		wantErr(t, "renew", err, nil)
		if !sameTime(got.LeaseExpires, at(50)) || got.CancelRequested {
			t.Errorf("renewed: until %v cancel %v, want %v and false", got.LeaseExpires, got.CancelRequested, at(50))
		}
		_, err = tryClaim(s, "other", at(20), at(60))
		wantErr(t, "claim before the renewed expiry", err, meta.ErrNotFound)

		cancelJob(t, s, j.ID, at(21))
		got, err = renew(s, j.ID, "e", at(70))
		wantErr(t, "renew after cancel request", err, nil)
		if !got.CancelRequested || got.State != meta.JobExamining {
			t.Errorf("renewed after cancel: cancel %v state %s, want true and EXAMINING", got.CancelRequested, got.State)
		}
		_, err = renew(s, j.ID, "", at(80))
		wantErr(t, "renew by an empty owner", err, meta.ErrLeaseLost)
	})

	t.Run("a save writes progress, and a terminal save ends the job and frees it", func(t *testing.T) {
		s := open(t)
		j := createJob(t, s, newJob("b", "T"))
		held := *claimJob(t, s, "e", at(0), at(10))
		cancelJob(t, s, j.ID, at(1)) // a cancel request a save must not clear

		held.State = meta.JobProcessing
		held.Stats = meta.JobStats{Processed: 10, Failed: 1, Total: 20, Skipped: 2, Bytes: 4096}
		held.Result, held.Message, held.Cursor = []byte(`{"n":1}`), "half way", []byte("k/500")
		held.LeaseExpires = at(15)
		wantErr(t, "save progress", save(s, held, "e"), nil)
		want := held
		want.CancelRequested = true
		assertJob(t, getJob(t, s, j.ID), want)

		held.State, held.CompletedAt, held.Message = meta.JobCancelled, at(5), "cancelled"
		wantErr(t, "save terminal", save(s, held, "e"), nil)
		ended := getJob(t, s, j.ID)
		if ended.State != meta.JobCancelled || !sameTime(ended.CompletedAt, at(5)) || ended.LeaseOwner != "" {
			t.Errorf("ended: state %s completed %v owner %q, want CANCELLED at %v with no owner", ended.State, ended.CompletedAt, ended.LeaseOwner, at(5))
		}
		wantErr(t, "save after the end", save(s, held, "e"), meta.ErrLeaseLost)
		_, err := renew(s, j.ID, "e", at(20))
		wantErr(t, "renew after the end", err, meta.ErrLeaseLost)
		createJob(t, s, newJob("b", "T"))
	})

	t.Run("a save by an engine that never claimed the job is refused", func(t *testing.T) {
		s := open(t)
		j := createJob(t, s, newJob("b", "T"))
		j.State = meta.JobProcessing
		wantErr(t, "save by an empty owner", save(s, j, ""), meta.ErrLeaseLost)
		wantErr(t, "save by a stranger", save(s, j, "stranger"), meta.ErrLeaseLost)
		if got := getJob(t, s, j.ID); got.State != meta.JobExamining {
			t.Errorf("state after refused saves = %s, want EXAMINING", got.State)
		}
	})

	t.Run("cancel ends a free job, flags a held one and leaves an ended one", func(t *testing.T) {
		s := open(t)
		free := createJob(t, s, newJob("free", "T"))
		got := cancelJob(t, s, free.ID, at(7))
		if got.State != meta.JobCancelled || !sameTime(got.CompletedAt, at(7)) {
			t.Errorf("free job after cancel: state %s completed %v, want CANCELLED at %v", got.State, got.CompletedAt, at(7))
		}

		held := createJob(t, s, newJob("held", "T"))
		claimJob(t, s, "e", at(0), at(100))
		got = cancelJob(t, s, held.ID, at(50))
		if got.State != meta.JobExamining || !got.CancelRequested || got.LeaseOwner != "e" || !got.CompletedAt.IsZero() {
			t.Errorf("held job after cancel: %+v, want still EXAMINING, held by e, cancel requested", got)
		}

		got = cancelJob(t, s, held.ID, at(101)) // the holder died: its lease expired
		if got.State != meta.JobCancelled || !sameTime(got.CompletedAt, at(101)) || got.LeaseOwner != "" {
			t.Errorf("expired job after cancel: state %s completed %v owner %q, want CANCELLED at %v, no owner",
				got.State, got.CompletedAt, got.LeaseOwner, at(101))
		}
		_, err := renew(s, held.ID, "e", at(200))
		wantErr(t, "renew by the dead holder", err, meta.ErrLeaseLost)

		done := createJob(t, s, newJob("done", "T"))
		endJob(t, s, done.ID, meta.JobComplete, at(30))
		before := getJob(t, s, done.ID)
		assertJob(t, cancelJob(t, s, done.ID, at(40)), before)
		assertJob(t, getJob(t, s, done.ID), before)

		createJob(t, s, newJob("free", "T")) // the cancelled job is no longer active
	})
}
