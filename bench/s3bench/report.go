package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
)

// Results is everything one run measured; -json writes it as is.
type Results struct {
	Machine    Machine            `json:"machine"`
	Throughput []ThroughputResult `json:"throughput"`
	Ops        []OpsResult        `json:"ops"`
	Summary    string             `json:"summary"`
}

// Machine is the context figures only make sense in.
type Machine struct {
	Date      string `json:"date"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"num_cpu"`
	GoVersion string `json:"go_version"`
	Dir       string `json:"dir"`
	FSType    string `json:"fs_type"`
	// LoadStart and LoadEnd are the 1, 5 and 15 minute load averages when
	// the run began and ended: on a shared machine, how much else ran.
	LoadStart string `json:"load_start,omitempty"`
	LoadEnd   string `json:"load_end,omitempty"`
}

func describeMachine(dir string) Machine {
	return Machine{
		Date:      time.Now().UTC().Format(time.RFC3339),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		NumCPU:    runtime.NumCPU(),
		GoVersion: runtime.Version(),
		Dir:       dir,
		FSType:    fsType(dir),
		LoadStart: loadAverage(),
	}
}

// loadAverage is the 1, 5 and 15 minute load averages, or "unknown".
func loadAverage() string { return benchcmd.LoadAverage("unknown") }

func printHeader(w io.Writer, m Machine) {
	fmt.Fprintf(w, "quarry s3bench  %s  %s/%s  %d CPUs  %s\n", m.Date, m.GOOS, m.GOARCH, m.NumCPU, m.GoVersion)
	fmt.Fprintf(w, "data and baseline files in %s (%s); load average at start %s\n", m.Dir, m.FSType, m.LoadStart)
}

func printResults(w io.Writer, r Results) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "THROUGHPUT (MB/s = 10^6 bytes/s; baseline = files written with fsync / read back, same filesystem)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tsize\tobjects\tconc\tquarry MB/s\tbaseline MB/s\tratio\ttarget\tserver cores\tclient cores\t")
	for _, t := range r.Throughput {
		if t.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.0f\t-\t%s\t-\t-\t\n", t.Op, humanBytes(t.ObjectSize), t.Objects, t.Concurrency, "ERROR", t.BaselineMBps, targetCell(t))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.0f\t%.2f\t%s\t%s\t%s\t\n",
			t.Op, humanBytes(t.ObjectSize), t.Objects, t.Concurrency, t.QuarryMBps, t.BaselineMBps, t.Ratio,
			targetCell(t), coresCell(t.ServerCores), coresCell(t.ClientCores))
	}
	tw.Flush()
	printErrors(w, r)

	fmt.Fprintln(w)
	fmt.Fprintln(w, "SMALL-OBJECT OPERATIONS (LIST = ListObjectsV2, max-keys 100)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tsize\tconc\tops\terrors\tops/s\tp50 ms\tp99 ms\tserver cores\tclient cores\t")
	for _, o := range r.Ops {
		size := "-"
		if o.ObjectSize > 0 {
			size = humanBytes(o.ObjectSize)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%s\t%s\t\n",
			o.Op, size, o.Concurrency, o.Ops, o.Errors, o.OpsPerSec, o.P50Ms, o.P99Ms,
			coresCell(o.ServerCores), coresCell(o.ClientCores))
	}
	tw.Flush()
	for _, o := range r.Ops {
		if o.FirstError != "" {
			fmt.Fprintf(w, "  %s c%d first error: %s\n", o.Op, o.Concurrency, o.FirstError)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "load average at end %s\n", r.Machine.LoadEnd)
	fmt.Fprintln(w, r.Summary)
}

func printErrors(w io.Writer, r Results) {
	for _, t := range r.Throughput {
		if t.Error != "" {
			fmt.Fprintf(w, "  %s %s c%d: %s\n", t.Op, humanBytes(t.ObjectSize), t.Concurrency, t.Error)
		}
	}
}

func targetCell(t ThroughputResult) string {
	if t.Target == 0 {
		return ""
	}
	if t.Verdict == "" {
		return fmt.Sprintf(">=%.2f", t.Target)
	}
	return fmt.Sprintf("%s >=%.2f", t.Verdict, t.Target)
}

func coresCell(c float64) string {
	if c == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", c)
}

// summarize gives the verdict in one line: the worst large-object ratio each
// way against the target, and the best small-object rates.
func summarize(r Results) string {
	var parts []string
	for _, op := range []string{opPut, opGet, opGetCold} {
		worst, found, failed := 0.0, false, false
		for _, t := range r.Throughput {
			if t.Op != op || t.Target == 0 {
				continue
			}
			if t.Error != "" {
				failed = true
				continue
			}
			if !found || t.Ratio < worst {
				worst, found = t.Ratio, true
			}
		}
		switch {
		case failed:
			parts = append(parts, fmt.Sprintf("large %s ERROR", op))
		case found:
			verdict := "PASS"
			if worst < largeTarget {
				verdict = "BELOW"
			}
			parts = append(parts, fmt.Sprintf("large %s %.2fx of baseline %s (target %.2f)", op, worst, verdict, largeTarget))
		}
	}
	best := map[string]OpsResult{}
	var order []string
	for _, o := range r.Ops {
		prev, seen := best[o.Op]
		if !seen {
			order = append(order, o.Op)
		}
		if !seen || o.OpsPerSec > prev.OpsPerSec {
			best[o.Op] = o
		}
	}
	for _, op := range order {
		o := best[op]
		parts = append(parts, fmt.Sprintf("%s %.0f/s@c%d", op, o.OpsPerSec, o.Concurrency))
	}
	if n := countFailures(r); n > 0 {
		parts = append(parts, fmt.Sprintf("%d measurement(s) with errors", n))
	}
	return "SUMMARY: " + strings.Join(parts, "; ")
}

// countFailures counts measurements that failed outright or saw errors.
func countFailures(r Results) int {
	n := 0
	for _, t := range r.Throughput {
		if t.Error != "" {
			n++
		}
	}
	for _, o := range r.Ops {
		if o.Errors > 0 {
			n++
		}
	}
	return n
}

func writeJSON(path string, r Results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	data = append(data, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(data)
	} else {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// humanBytes prints sizes the way the flags take them: 4 KiB, 64 MiB.
func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && n%1024 == 0 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%d %s", n, units[i])
}

// sizeLabel is humanBytes without the space, for keys and file names.
func sizeLabel(n int64) string { return strings.ReplaceAll(humanBytes(n), " ", "") }
