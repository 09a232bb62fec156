package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
)

// Results is everything one run measured; -json writes it as is.
type Results struct {
	Machine Machine      `json:"machine"`
	Config  configJSON   `json:"config"`
	Create  CreateResult `json:"create"`
	Recon   ReconResult  `json:"reconciliation"`
}

type configJSON struct {
	Clients int `json:"clients"`
	Creates int `json:"creates"`
	Objects int `json:"objects"`
}

// Machine is the context the figures only make sense in.
type Machine struct {
	Date      string `json:"date"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"num_cpu"`
	GoVersion string `json:"go_version"`
	Dir       string `json:"dir"`
	LoadStart string `json:"load_start"`
	LoadEnd   string `json:"load_end"`
}

func describeMachine(dir string) Machine {
	return Machine{
		Date: time.Now().UTC().Format(time.RFC3339), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(), Dir: dir, LoadStart: loadAverage(),
	}
}

// loadAverage is the 1, 5 and 15 minute load averages ("" off Linux): on a
// shared machine, how much else ran.
func loadAverage() string { return benchcmd.LoadAverage("") }

// percentile is the nearest-rank p-th percentile of ds (0 when empty).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(len(s)-1, max(0, rank))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func printResults(w io.Writer, r Results) {
	m := r.Machine
	fmt.Fprintf(w, "quarry jobbench  %s  %s/%s  %d CPUs  %s\n", m.Date, m.GOOS, m.GOARCH, m.NumCPU, m.GoVersion)
	fmt.Fprintf(w, "data in %s; load average at start %s, at end %s\n\n", m.Dir, m.LoadStart, m.LoadEnd)

	c := r.Create
	fmt.Fprintf(w, "JOBS/CREATE (METRIC_RECONCILIATION, each on its own empty bucket; the engine runs the jobs meanwhile)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clients\tcreates\terrors\tcreates/s\tp50 ms\tp99 ms\tmax ms\tall jobs ended after s\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", c.Clients, c.Creates, c.Errors, c.PerSecond, c.P50ms, c.P99ms, c.Maxms, c.DrainSeconds)
	tw.Flush()

	rc := r.Recon
	fmt.Fprintf(w, "\nMETRIC_RECONCILIATION over %d one-version objects (baseline: SELECT count(*), sum(size) over the same rows, best of %d)\n", rc.Objects, baselineRuns)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "job s\tobjects/s\tbaseline s\tbaseline rows/s\tratio\tseeding s\t")
	fmt.Fprintf(tw, "%.2f\t%.0f\t%.3f\t%.0f\t%.3f\t%.1f\t\n", rc.JobSeconds, rc.ObjectsPerSecond, rc.BaselineSeconds, rc.BaselineRowsPerSecond, rc.Ratio, rc.SeedSeconds)
	tw.Flush()
	fmt.Fprintf(w, "\nSUMMARY: jobs/create p50 %.2f ms, p99 %.2f ms, %.0f creates/s with %d clients; reconciliation %.0f objects/s = %.3fx the %.0f rows/s of one SELECT count(*), sum(size)\n",
		c.P50ms, c.P99ms, c.PerSecond, c.Clients, rc.ObjectsPerSecond, rc.Ratio, rc.BaselineRowsPerSecond)
}
