package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/oprate"
)

// opTimeout bounds any single request or file operation, so a hung server
// ends the measurement instead of the benchmark waiting forever.
const opTimeout = oprate.OpTimeout

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
