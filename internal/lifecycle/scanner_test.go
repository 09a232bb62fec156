package lifecycle_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/lifecycle"
	"github.com/quarrylabs/quarry/internal/meta"
)

func TestTheScannerSchedulesEachConfiguredBucketOncePerDayFromTheDayAfterItWasConfigured(t *testing.T) {
	e := newEnv(t, meta.VersioningOff, nil, nil)
	e.Bucket(alice, "unconfigured")
	e.put("old/1", "data", nil)
	e.configure(lifecycle.Rule{ID: "all", Enabled: true, Expiration: days(1)})

	const day = time.Hour
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC).UnixNano())
	newScanner := func() *lifecycle.Scanner {
		return lifecycle.NewScanner(lifecycle.ScannerConfig{Meta: e.Meta, Day: day, Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	}
	scheduled := func(s *lifecycle.Scanner) int {
		t.Helper()
		n, err := s.ScheduleDue(e.Ctx)
		if err != nil {
			t.Fatalf("schedule: %v", err)
		}
		return n
	}
	a, b := newScanner(), newScanner() // two nodes on one store

	if n := scheduled(a); n != 0 {
		t.Fatalf("a configuration seen for the first time scheduled %d jobs the same day", n)
	}
	clock.Add(int64(day))
	if n := scheduled(a) + scheduled(b); n != 1 {
		t.Fatalf("two nodes scheduled %d jobs on the next day, want 1", n)
	}
	jobs := e.lifecycleJobs()
	if len(jobs) != 1 || jobs[0].Bucket != e.bucket || jobs[0].UserID != 0 || jobs[0].Message == "" {
		t.Fatalf("scheduled jobs %+v, want one system job on %s saying who started it", jobs, e.bucket)
	}
	// The day's job still runs: the next day skips the bucket rather than
	// stacking a second job, and schedules it once the first ended.
	clock.Add(int64(day))
	if n := scheduled(a); n != 0 {
		t.Fatalf("scheduled %d jobs while the previous one is active", n)
	}
	e.start()
	if j := e.Finished(jobs[0].ID); j.State != meta.JobComplete || j.Stats.Processed != 1 {
		t.Fatalf("the scanner's job ended %s with %+v", j.State, j.Stats)
	}
	if n := scheduled(b); n != 1 {
		t.Fatalf("after the job ended, %d jobs scheduled for the day it missed", n)
	}
	if n := scheduled(a); n != 0 {
		t.Fatalf("a second scan the same day: %d", n)
	}
}

func (e *env) lifecycleJobs() []meta.Job {
	e.T.Helper()
	var jobs []meta.Job
	err := e.Meta.View(e.Ctx, func(tx meta.Tx) error {
		var err error
		jobs, err = tx.ListJobs(meta.JobFilter{Type: job.TypeLifecycleUpdate, Limit: 100})
		return err
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return jobs
}
