package metatest

import (
	"slices"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func addFailure(t *testing.T, s meta.Store, f meta.JobFailure) meta.JobFailure {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.AddJobFailure(&f) })
	if f.ID <= 0 {
		t.Fatalf("AddJobFailure set ID %d, want > 0", f.ID)
	}
	return f
}

func listFailures(t *testing.T, s meta.Store, jobID int32, afterID int64, limit int) []meta.JobFailure {
	t.Helper()
	var fs []meta.JobFailure
	view(t, s, func(tx meta.Tx) error {
		var err error
		fs, err = tx.ListJobFailures(jobID, afterID, limit)
		wantErr(t, "list failures", err, nil)
		return nil
	})
	return fs
}

func failureIDs(fs []meta.JobFailure) []int64 {
	var ids []int64
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return ids
}

func testJobFailures(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("failures read back as written and page in ascending id order per job", func(t *testing.T) {
		s := open(t)
		a := createJob(t, s, newJob("a", "T"))
		b := createJob(t, s, newJob("b", "T"))
		var want []meta.JobFailure
		for i := range 5 {
			want = append(want, addFailure(t, s, meta.JobFailure{JobID: a.ID, Key: "dir/ünï-" + string(rune('a'+i)),
				VersionID: "v" + string(rune('0'+i)), Reason: "AccessDenied", Time: at(int64(i))}))
			addFailure(t, s, meta.JobFailure{JobID: b.ID, Key: "other", Time: at(9)})
		}
		all := listFailures(t, s, a.ID, 0, 0)
		if len(all) != len(want) {
			t.Fatalf("listed %d failures, want %d", len(all), len(want))
		}
		for i, got := range all {
			w := want[i]
			if got.ID != w.ID || got.JobID != w.JobID || got.Key != w.Key || got.VersionID != w.VersionID ||
				got.Reason != w.Reason || !sameTime(got.Time, w.Time) {
				t.Errorf("failure %d = %+v, want %+v", i, got, w)
			}
		}
		var paged []int64
		for after := int64(0); ; {
			page := listFailures(t, s, a.ID, after, 2)
			if len(page) == 0 {
				break
			}
			if len(page) > 2 {
				t.Fatalf("page of %d failures, limit 2", len(page))
			}
			paged = append(paged, failureIDs(page)...)
			after = page[len(page)-1].ID
		}
		if !slices.Equal(paged, failureIDs(want)) {
			t.Errorf("paged ids %v, want %v", paged, failureIDs(want))
		}
		if got := listFailures(t, s, 404, 0, 0); len(got) != 0 {
			t.Errorf("failures of a missing job = %v, want none", got)
		}
	})
}

func testJobRetention(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("jobs that ended before the cutoff go with their failures; the rest stay", func(t *testing.T) {
		s := open(t)
		old := createJob(t, s, newJob("a", "T"))
		addFailure(t, s, meta.JobFailure{JobID: old.ID, Key: "k", Time: at(1)})
		endJob(t, s, old.ID, meta.JobComplete, at(10))
		recent := createJob(t, s, newJob("b", "T"))
		addFailure(t, s, meta.JobFailure{JobID: recent.ID, Key: "k", Time: at(1)})
		endJob(t, s, recent.ID, meta.JobFailed, at(20))
		cancelled := createJob(t, s, newJob("c", "T"))
		cancelJob(t, s, cancelled.ID, at(5))
		// Created long ago and still running: never removed.
		running := createJob(t, s, newJob("d", "T"))
		addFailure(t, s, meta.JobFailure{JobID: running.ID, Key: "k", Time: at(1)})

		var n int
		update(t, s, func(tx meta.Tx) error {
			var err error
			n, err = tx.DeleteJobsBefore(at(15))
			return err
		})
		if n != 2 {
			t.Errorf("deleted %d jobs, want 2", n)
		}
		got := jobIDs(listJobs(t, s, meta.JobFilter{}))
		if want := []int32{running.ID, recent.ID}; !slices.Equal(got, want) {
			t.Errorf("jobs left %v, want %v", got, want)
		}
		if fs := listFailures(t, s, old.ID, 0, 0); len(fs) != 0 {
			t.Errorf("failures of a deleted job remain: %v", fs)
		}
		for _, id := range []int32{recent.ID, running.ID} {
			if fs := listFailures(t, s, id, 0, 0); len(fs) != 1 {
				t.Errorf("job %d has %d failures, want its 1 kept", id, len(fs))
			}
		}
		update(t, s, func(tx meta.Tx) error {
			var err error
			n, err = tx.DeleteJobsBefore(at(15))
			return err
		})
		if n != 0 {
			t.Errorf("a second delete removed %d jobs, want 0", n)
		}
	})
}
