package metatest

import (
	"slices"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func listJobs(t *testing.T, s meta.Store, f meta.JobFilter) []meta.Job {
	t.Helper()
	var jobs []meta.Job
	view(t, s, func(tx meta.Tx) error {
		var err error
		jobs, err = tx.ListJobs(f)
		wantErr(t, "list jobs", err, nil)
		return nil
	})
	return jobs
}

func jobIDs(jobs []meta.Job) []int32 {
	var ids []int32
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func testListJobs(t *testing.T, open func(t *testing.T) meta.Store) {
	s := open(t)
	// Six jobs over two buckets, owners, creators, types and states. Each
	// is ended before the next active job of its (bucket, type) is created.
	type seed struct {
		bucket, typ string
		owner, user int64
		end         meta.JobState // "" leaves it active
		id          int32
	}
	seeds := []*seed{
		{bucket: "a", typ: "T1", owner: 1, user: 1, end: meta.JobComplete},
		{bucket: "a", typ: "T1", owner: 1, user: 2},
		{bucket: "a", typ: "T2", owner: 1, user: 2, end: meta.JobFailed},
		{bucket: "b", typ: "T1", owner: 2, user: 2},
		{bucket: "b", typ: "T2", owner: 2, user: 3, end: meta.JobCancelled},
		{bucket: "b", typ: "T2", owner: 2, user: 3},
	}
	for _, sd := range seeds {
		j := newJob(sd.bucket, sd.typ)
		j.OwnerID, j.UserID = sd.owner, sd.user
		sd.id = createJob(t, s, j).ID
		if sd.end != "" {
			endJob(t, s, sd.id, sd.end, at(30))
			continue
		}
		// Hold active jobs for long, so that endJob can claim only the
		// job it ends.
		if held := claimJob(t, s, "holder", at(0), at(1_000_000)); held.ID != sd.id {
			t.Fatalf("held job %d, want %d", held.ID, sd.id)
		}
	}
	ids := func(keep func(sd *seed) bool) []int32 {
		var out []int32
		for _, sd := range slices.Backward(seeds) {
			if keep(sd) {
				out = append(out, sd.id)
			}
		}
		return out
	}
	all := func(*seed) bool { return true }

	tests := []struct {
		name   string
		filter meta.JobFilter
		want   []int32
	}{
		{"no filter lists every job newest first", meta.JobFilter{}, ids(all)},
		{"a bucket filter lists that bucket's jobs", meta.JobFilter{Bucket: "a"},
			ids(func(sd *seed) bool { return sd.bucket == "a" })},
		{"an owner filter lists jobs on that owner's buckets", meta.JobFilter{OwnerID: 2},
			ids(func(sd *seed) bool { return sd.owner == 2 })},
		{"a user filter lists the jobs that user created", meta.JobFilter{UserID: 2},
			ids(func(sd *seed) bool { return sd.user == 2 })},
		{"a type filter lists jobs of that type", meta.JobFilter{Type: "T2"},
			ids(func(sd *seed) bool { return sd.typ == "T2" })},
		{"a state filter lists jobs in that state", meta.JobFilter{State: meta.JobCancelled},
			ids(func(sd *seed) bool { return sd.end == meta.JobCancelled })},
		{"filters combine", meta.JobFilter{Bucket: "b", Type: "T2", State: meta.JobExamining},
			ids(func(sd *seed) bool { return sd.bucket == "b" && sd.typ == "T2" && sd.end == "" })},
		{"owner, user and state combine", meta.JobFilter{OwnerID: 1, UserID: 2, State: meta.JobExamining},
			ids(func(sd *seed) bool { return sd.owner == 1 && sd.user == 2 && sd.end == "" })},
		{"a limit keeps the newest", meta.JobFilter{Limit: 2}, ids(all)[:2]},
		{"BeforeID pages on to older jobs", meta.JobFilter{BeforeID: seeds[3].id, Limit: 2},
			[]int32{seeds[2].id, seeds[1].id}},
		{"BeforeID with a filter", meta.JobFilter{Bucket: "b", BeforeID: seeds[5].id},
			[]int32{seeds[4].id, seeds[3].id}},
		{"BeforeID of the oldest lists nothing", meta.JobFilter{BeforeID: seeds[0].id}, nil},
		{"a filter that matches nothing lists nothing", meta.JobFilter{Bucket: "none"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := jobIDs(listJobs(t, s, tt.filter))
			if !slices.Equal(got, tt.want) {
				t.Errorf("ListJobs(%+v) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}

	t.Run("listed jobs carry every field", func(t *testing.T) {
		jobs := listJobs(t, s, meta.JobFilter{Limit: 1})
		if len(jobs) != 1 {
			t.Fatalf("listed %d jobs, want 1", len(jobs))
		}
		assertJob(t, jobs[0], getJob(t, s, jobs[0].ID))
	})
}
