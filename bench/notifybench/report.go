package main

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
)

// verdict says whether a ratio meets the target.
func verdict(ratio float64) string {
	if ratio >= target {
		return "PASS"
	}
	return "BELOW"
}

// report prints the table and a summary line.
func report(w io.Writer, cfg config, r results, start time.Time) {
	fmt.Fprintf(w, "quarry notifybench  %s  %s/%s  %d CPUs  %s  concurrency %d (POSTers and the job)  best of %d\n",
		start.UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), cfg.conc, cfg.reps)
	fmt.Fprintf(w, "load average at start %s\n\n", cfg.loadAtStart)
	fmt.Fprintf(w, "%-32s %8s %10s %12s %12s\n", "side", "events", "seconds", "events/s", "connections")
	fmt.Fprintf(w, "%-32s %8d %10.2f %12.0f %12d\n", "plain concurrent POSTs", r.baseline.events, r.baseline.elapsed.Seconds(), r.baseline.rate(), r.baseline.conns)
	fmt.Fprintf(w, "%-32s %8d %10.2f %12.0f %12d\n", "TRIGGER_RECONCILIATION ALL", r.job.events, r.job.elapsed.Seconds(), r.job.rate(), r.job.conns)
	fmt.Fprintf(w, "\nratio %.2fx %s (target >=%.1fx); payload %d bytes; the job spent %v EXAMINING\n",
		r.ratio(), verdict(r.ratio()), target, r.payloadBytes, r.examining.Round(time.Millisecond))
	per := func(d time.Duration, events int) float64 { return d.Seconds() * 1e6 / float64(max(events, 1)) }
	fmt.Fprintf(w, "CPU µs per event: baseline (POSTers and webhook) %.0f; job: quarry %.0f, webhook %.0f\n",
		per(r.baseline.self, r.baseline.events), per(r.job.cpu, r.job.events), per(r.job.self, r.job.events))
	fmt.Fprintf(w, "load average at end %s\n", benchcmd.LoadAverage("n/a"))
	fmt.Fprintf(w, "SUMMARY: events delivered %.2fx %s (target %.1fx)\n", r.ratio(), verdict(r.ratio()), target)
}
