package metatest

import (
	"slices"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

func testCountJobs(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("jobs are counted by type and state", func(t *testing.T) {
		s := open(t)
		createJob(t, s, newJob("a", "METRIC_RECONCILIATION"))
		createJob(t, s, newJob("b", "METRIC_RECONCILIATION"))
		createJob(t, s, newJob("a", "BATCH_REPLICATE"))
		var got []meta.JobCount
		view(t, s, func(tx meta.Tx) error {
			var err error
			got, err = tx.CountJobs()
			wantErr(t, "count jobs", err, nil)
			return nil
		})
		want := []meta.JobCount{
			{Type: "BATCH_REPLICATE", State: meta.JobExamining, Count: 1},
			{Type: "METRIC_RECONCILIATION", State: meta.JobExamining, Count: 2},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("CountJobs = %+v, want %+v", got, want)
		}
	})
	t.Run("no jobs count as an empty list", func(t *testing.T) {
		s := open(t)
		view(t, s, func(tx meta.Tx) error {
			got, err := tx.CountJobs()
			wantErr(t, "count jobs", err, nil)
			if len(got) != 0 {
				t.Fatalf("CountJobs on an empty store = %+v", got)
			}
			return nil
		})
	})
}
