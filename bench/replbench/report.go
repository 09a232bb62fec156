package main

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
)

// unit is what rate measures.
func (c benchCase) unit() string {
	if c.perObject {
		return "objects/s"
	}
	return "MB/s"
}

// verdict says whether a ratio meets its target.
func verdict(ratio, target float64) string {
	if ratio >= target {
		return "PASS"
	}
	return "BELOW"
}

func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// perObject renders request counts divided by objects, by operation:
// "GetObject 1.00, PutObject 1.00".
func perObject(reqs map[string]float64, objects int) string {
	if len(reqs) == 0 {
		return "-"
	}
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(reqs)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", op, reqs[op]/float64(objects)))
	}
	return strings.Join(parts, ", ")
}

// report prints the table, the requests each way cost per object, and a
// summary line.
func report(w io.Writer, cfg config, results []caseResult, start time.Time) {
	withRclone := len(results) > 0 && results[0].hasRclone
	fmt.Fprintf(w, "quarry replbench  %s  %s/%s  %d CPUs  %s  concurrency %d (client loop and BATCH_REPLICATE)  best of %d\n",
		start.UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), cfg.conc, cfg.reps)
	if withRclone {
		fmt.Fprintf(w, "rclone copy --transfers %d (%s)\n", cfg.rcloneTransfers, cfg.rclone)
	}
	fmt.Fprintf(w, "load average at start %s\n\n", cfg.loadAtStart)
	fmt.Fprintf(w, "%-6s %8s %7s %12s %14s %16s %7s %14s",
		"case", "size", "objects", "unit", "client loop", "BATCH_REPLICATE", "ratio", "target")
	if withRclone {
		fmt.Fprintf(w, " %12s %13s %14s", "rclone copy", "repl/rclone", "target")
	}
	fmt.Fprintln(w)
	for _, r := range results {
		ratio := r.ratio()
		fmt.Fprintf(w, "%-6s %8s %7d %12s %14.1f %16.1f %6.2fx %5s >=%.1fx",
			r.name, sizeLabel(r.size), r.count, r.unit(), r.rate(r.baseline.elapsed), r.rate(r.replication.elapsed),
			ratio, verdict(ratio, r.target), r.target)
		if r.hasRclone {
			fmt.Fprintf(w, " %12.1f %12.2fx %14s", r.rate(r.rclone.elapsed), r.rcloneRatio(), rcloneTargetCell(r))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nS3 requests served per object during the best run (from each server's /metrics)\n")
	for _, r := range results {
		fmt.Fprintf(w, "%-6s client loop      source: %s\n", r.name, perObject(r.baseline.srcRequests, r.count))
		fmt.Fprintf(w, "%-6s                  destination: %s\n", "", perObject(r.baseline.dstRequests, r.count))
		if r.hasRclone {
			fmt.Fprintf(w, "%-6s rclone copy      source: %s\n", "", perObject(r.rclone.srcRequests, r.count))
			fmt.Fprintf(w, "%-6s                  destination: %s\n", "", perObject(r.rclone.dstRequests, r.count))
		}
		fmt.Fprintf(w, "%-6s BATCH_REPLICATE  source: %s\n", "", perObject(r.replication.srcRequests, r.count))
		fmt.Fprintf(w, "%-6s                  destination: %s\n", "", perObject(r.replication.dstRequests, r.count))
	}
	fmt.Fprintf(w, "\nCPU seconds per 1,000 objects (source / destination) and time spent EXAMINING\n")
	for _, r := range results {
		per := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(r.count) }
		fmt.Fprintf(w, "%-6s client loop %.2f / %.2f   ", r.name, per(r.baseline.srcCPU), per(r.baseline.dstCPU))
		if r.hasRclone {
			fmt.Fprintf(w, "rclone copy %.2f / %.2f   ", per(r.rclone.srcCPU), per(r.rclone.dstCPU))
		}
		fmt.Fprintf(w, "BATCH_REPLICATE %.2f / %.2f   EXAMINING %v of %v\n",
			per(r.replication.srcCPU), per(r.replication.dstCPU),
			r.replication.examining.Round(time.Millisecond), r.replication.elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "\nevery destination bucket was listed afterwards and held all the objects\n")
	fmt.Fprintf(w, "load average at end %s\n", loadAverage())
	var summary []string
	for _, r := range results {
		summary = append(summary, fmt.Sprintf("%s %.2fx %s (target %.1fx)", r.name, r.ratio(), verdict(r.ratio(), r.target), r.target))
		if r.hasRclone {
			part := fmt.Sprintf("%s %.2fx rclone copy", r.name, r.rcloneRatio())
			if r.rcloneTarget > 0 {
				part += fmt.Sprintf(" %s (target %.1fx)", verdict(r.rcloneRatio(), r.rcloneTarget), r.rcloneTarget)
			}
			summary = append(summary, part)
		}
	}
	fmt.Fprintf(w, "SUMMARY: %s\n", strings.Join(summary, "; "))
}

// rcloneTargetCell is the verdict against rclone copy, or "-" without a
// target.
func rcloneTargetCell(r caseResult) string {
	if r.rcloneTarget == 0 {
		return "-"
	}
	return fmt.Sprintf("%s >=%.1fx", verdict(r.rcloneRatio(), r.rcloneTarget), r.rcloneTarget)
}

// loadAverage is /proc/loadavg's first three fields, or "n/a".
func loadAverage() string { return benchcmd.LoadAverage("n/a") }
