package sqlite

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// TestCreateJobStopsAtTheLastInt32ID: job ids are MAPI int32s, so the store
// must refuse a job rather than hand out an id that cannot be named.
func TestCreateJobStopsAtTheLastInt32ID(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	create := func(bucket string) (int32, error) {
		j := meta.Job{Type: "T", Bucket: bucket, State: meta.JobExamining}
		err := s.Update(ctx, func(mtx meta.Tx) error { return mtx.(*tx).CreateJob(&j) })
		return j.ID, err
	}
	if _, err := create("a"); err != nil {
		t.Fatalf("first create: %v", err)
	}
	// Jump the id counter to just below the limit.
	if _, err := s.writer.ExecContext(ctx, `UPDATE job_id_seq SET last = ?`, math.MaxInt32-1); err != nil {
		t.Fatalf("move the sequence: %v", err)
	}
	id, err := create("b")
	if err != nil || id != math.MaxInt32 {
		t.Fatalf("create at the limit: id %d error %v, want id %d", id, err, int32(math.MaxInt32))
	}
	_, err = create("c")
	if err == nil || errors.Is(err, meta.ErrExists) {
		t.Fatalf("create past the limit: error %v, want an exhaustion error", err)
	}
	err = s.View(ctx, func(mtx meta.Tx) error {
		jobs, err := mtx.(*tx).ListJobs(meta.JobFilter{})
		if err == nil && len(jobs) != 2 {
			t.Errorf("stored %d jobs, want 2: the refused one must not be written", len(jobs))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
