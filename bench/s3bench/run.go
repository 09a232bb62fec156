package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// opTimeout bounds any single request or file operation, so a hung server
// ends the measurement instead of the benchmark waiting forever.
const opTimeout = 2 * time.Minute

// runN calls fn for i in [0, count) from conc workers and returns the wall
// time from the first call to the last return. The first error stops the
// remaining work and is returned.
func runN(ctx context.Context, count, conc int, fn func(ctx context.Context, i int) error) (time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(conc, count) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				opCtx, opCancel := context.WithTimeout(ctx, opTimeout)
				err := fn(opCtx, i)
				opCancel()
				if err != nil {
					cancel(fmt.Errorf("object %d: %w", i, err))
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return elapsed, err
	}
	return elapsed, nil
}

// opStats is what one operation-rate measurement observed.
type opStats struct {
	ok        int
	errors    int
	firstErr  error
	elapsed   time.Duration
	latencies []time.Duration // of successful operations, sorted
}

// measureOps runs op from conc workers, each calling it with its worker
// number and its own running count n, until dur has passed or, when count is
// positive, until count operations have been made in all. Failures are
// counted and do not stop the measurement: a server that fails some requests
// under load should show that in the table.
func measureOps(ctx context.Context, conc int, dur time.Duration, count int, op func(ctx context.Context, worker, n int) error) opStats {
	type workerResult struct {
		lat      []time.Duration
		errors   int
		firstErr error
	}
	results := make([]workerResult, conc)
	var issued atomic.Int64
	deadline := time.Now().Add(dur)
	more := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if count > 0 {
			return issued.Add(1) <= int64(count)
		}
		return time.Now().Before(deadline)
	}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			r := &results[w]
			for n := 0; more(); n++ {
				opCtx, cancel := context.WithTimeout(ctx, opTimeout)
				t0 := time.Now()
				err := op(opCtx, w, n)
				lat := time.Since(t0)
				cancel()
				if err != nil {
					r.errors++
					if r.firstErr == nil {
						r.firstErr = err
					}
					continue
				}
				r.lat = append(r.lat, lat)
			}
		})
	}
	wg.Wait()
	st := opStats{elapsed: time.Since(start)}
	for _, r := range results {
		st.latencies = append(st.latencies, r.lat...)
		st.errors += r.errors
		if st.firstErr == nil {
			st.firstErr = r.firstErr
		}
	}
	st.ok = len(st.latencies)
	slices.Sort(st.latencies)
	return st
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 1) of sorted
// latencies, or zero when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
