package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// result is what one Update of a forced batch returned or panicked with.
type result struct {
	err      error
	panicked any
}

// runBatch forces fns into one batch: a slow Update holds the writer while
// the others queue up one by one (so the batch runs them in order), then
// releases it. It returns each Update's result, in the order of fns.
func runBatch(t *testing.T, s *Store, ctxs []context.Context, fns ...func(meta.Tx) error) []result {
	t.Helper()
	release := holdWriter(t, s)
	results := make([]result, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		ctx := context.Background()
		if ctxs != nil && ctxs[i] != nil {
			ctx = ctxs[i]
		}
		wg.Go(func() {
			defer func() { results[i].panicked = recover() }()
			results[i].err = s.Update(ctx, fn)
		})
		waitQueued(t, s, int64(i+1))
	}
	before := s.commits.commits.Load()
	release()
	wg.Wait()
	// One commit is the holder's own, which was alone when it started.
	if got := s.commits.commits.Load() - before - 1; got > 1 {
		t.Errorf("the queued updates took %d commits, want one batch", got)
	}
	return results
}

// holdWriter starts an Update that blocks the writer until release is called.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, proceed := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(tx meta.Tx) error {
			close(started)
			<-proceed
			return tx.PutSetting("holder", "done")
		})
	}()
	<-started
	return func() {
		close(proceed)
		if err := <-done; err != nil {
			t.Errorf("holding update: %v", err)
		}
	}
}

// waitQueued waits until n callers wait in the writer's queue, then a little
// longer so the last one is inside its send, not just counted.
func waitQueued(t *testing.T, s *Store, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.commits.waiting.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d updates queued", s.commits.waiting.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
}

func putSetting(name string) func(meta.Tx) error {
	return func(tx meta.Tx) error { return tx.PutSetting(name, "v") }
}

// assertSettings checks which settings exist after a batch.
func assertSettings(t *testing.T, s *Store, want map[string]bool) {
	t.Helper()
	err := s.View(context.Background(), func(tx meta.Tx) error {
		for name, exists := range want {
			_, err := tx.GetSetting(name)
			switch {
			case exists && err != nil:
				t.Errorf("setting %q: %v, want it committed", name, err)
			case !exists && !errors.Is(err, meta.ErrNotFound):
				t.Errorf("setting %q: err %v, want it rolled back (ErrNotFound)", name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGroupCommitFailingFnIsRolledBackAlone(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	errStop := errors.New("stop")
	results := runBatch(t, s, nil,
		putSetting("a"),
		func(tx meta.Tx) error {
			if err := tx.PutSetting("b", "v"); err != nil {
				return err
			}
			return errStop
		},
		putSetting("c"),
	)
	for i, want := range []error{nil, errStop, nil} {
		if results[i].err != want || results[i].panicked != nil {
			t.Errorf("update %d = %+v, want error %v", i, results[i], want)
		}
	}
	assertSettings(t, s, map[string]bool{"a": true, "b": false, "c": true})
}

func TestGroupCommitPanickingFnPanicsInItsCallerAndIsRolledBackAlone(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	results := runBatch(t, s, nil,
		putSetting("a"),
		func(tx meta.Tx) error {
			if err := tx.PutSetting("b", "v"); err != nil {
				return err
			}
			panic("boom")
		},
		putSetting("c"),
	)
	if results[1].panicked != "boom" {
		t.Errorf("panicking update = %+v, want the panic value boom in its caller", results[1])
	}
	for _, i := range []int{0, 2} {
		if results[i].err != nil || results[i].panicked != nil {
			t.Errorf("update %d = %+v, want success", i, results[i])
		}
	}
	assertSettings(t, s, map[string]bool{"a": true, "b": false, "c": true})
	// The writer survived: a later update still commits.
	if err := s.Update(context.Background(), putSetting("d")); err != nil {
		t.Fatalf("update after the panic: %v", err)
	}
	assertSettings(t, s, map[string]bool{"d": true})
}

func TestGroupCommitCancelledWhileQueuedRunsNothing(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	release := holdWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, func(tx meta.Tx) error { ran <- struct{}{}; return tx.PutSetting("a", "v") })
	}()
	waitQueued(t, s, 1)
	cancel()
	// The writer is still busy, so the caller must leave the queue by itself.
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled update = %v, want context.Canceled", err)
	}
	release()
	select {
	case <-ran:
		t.Error("the cancelled update's fn ran")
	default:
	}
	assertSettings(t, s, map[string]bool{"a": false, "holder": true})
}

func TestGroupCommitCancelledBeforeItsTurnInTheBatchRunsNothing(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	results := runBatch(t, s, []context.Context{nil, ctx},
		func(tx meta.Tx) error {
			cancel() // the second update is in the batch but has not started
			return tx.PutSetting("a", "v")
		},
		putSetting("b"),
	)
	if results[0].err != nil {
		t.Errorf("first update: %v", results[0].err)
	}
	if !errors.Is(results[1].err, context.Canceled) {
		t.Errorf("second update = %v, want context.Canceled", results[1].err)
	}
	assertSettings(t, s, map[string]bool{"a": true, "b": false})
}

func TestGroupCommitConcurrentAddUsageAddsUpExactly(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx meta.Tx) error { return tx.CreateBucket(&meta.Bucket{Name: "b", OwnerID: 1}) }); err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 32, 40
	start := s.commits.commits.Load()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				err := s.Update(ctx, func(tx meta.Tx) error {
					if err := tx.AddUsage("b", meta.Usage{Objects: 1, Bytes: 3}); err != nil {
						return err
					}
					return tx.PutSetting(fmt.Sprintf("s-%d-%d", g, i), "v")
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("update: %v", err)
	}
	const n = goroutines * each
	err := s.View(ctx, func(tx meta.Tx) error {
		u, err := tx.GetUsage("b")
		if err != nil {
			return err
		}
		if u.Objects != n || u.Bytes != 3*n {
			t.Errorf("usage = %+v, want %d objects and %d bytes", u, n, 3*n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	commits := s.commits.commits.Load() - start
	t.Logf("%d updates in %d commits", n, commits)
	if commits >= n {
		t.Errorf("%d updates took %d commits: none were grouped", n, commits)
	}
}

func TestUpdateAfterCloseFails(t *testing.T) {
	s, _ := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(context.Background(), putSetting("a")); !errors.Is(err, errClosed) {
		t.Errorf("update after close = %v, want errClosed", err)
	}
}
