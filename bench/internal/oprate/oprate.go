// Package oprate measures an operation rate: workers calling one
// operation as fast as it answers, for a duration or a count, with each
// success's latency kept and failures counted rather than retried. The
// benchmarks that report S3 ops/s (s3bench, scalebench) share it so that
// their figures mean the same thing.
package oprate

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// OpTimeout bounds any single operation, so a hung server ends the
// measurement instead of the benchmark waiting forever.
const OpTimeout = 2 * time.Minute

// Stats is what one operation-rate measurement observed.
type Stats struct {
	OK       int
	Errors   int
	FirstErr error
	Elapsed  time.Duration
	// Latencies are those of the successful operations, sorted.
	Latencies []time.Duration
}

// PerSecond is the successful operations per second of wall time.
func (s Stats) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.OK) / s.Elapsed.Seconds()
}

// Measure runs op from conc workers, each calling it with its worker
// number and its own running count n, until dur has passed or, when count
// is positive, until count operations have been made in all. Failures are
// counted and do not stop the measurement: a server that fails some
// requests under load should show that in the table.
func Measure(ctx context.Context, conc int, dur time.Duration, count int, op func(ctx context.Context, worker, n int) error) Stats {
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
				opCtx, cancel := context.WithTimeout(ctx, OpTimeout)
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
	st := Stats{Elapsed: time.Since(start)}
	for _, r := range results {
		st.Latencies = append(st.Latencies, r.lat...)
		st.Errors += r.errors
		if st.FirstErr == nil {
			st.FirstErr = r.firstErr
		}
	}
	st.OK = len(st.Latencies)
	slices.Sort(st.Latencies)
	return st
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 1) of
// sorted latencies, or zero when there are none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
