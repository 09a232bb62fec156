package main

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
)

// Results is everything one run measured; -json writes it as is.
type Results struct {
	Machine Machine    `json:"machine"`
	Config  configJSON `json:"config"`
	Seed    SeedResult `json:"seed"`
	// WaitSeconds is how long after the seed the rule became due.
	WaitSeconds float64     `json:"wait_seconds"`
	Job         Side        `json:"lifecycle_update"`
	JobStats    JobCounters `json:"job_counters"`
	Baseline    Side        `json:"delete_objects"`
	// Ratio is the job's objects/s over the baseline's.
	Ratio    float64  `json:"ratio"`
	Verified Verified `json:"verified"`
}

type configJSON struct {
	Objects       int  `json:"objects"`
	Versioned     bool `json:"versioned"`
	Conc          int  `json:"conc"`
	KeysPerDelete int  `json:"keys_per_delete"`
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

func describeMachine() Machine {
	return Machine{
		Date: time.Now().UTC().Format(time.RFC3339), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAverage(),
	}
}

// loadAverage is the 1, 5 and 15 minute load averages ("n/a" off Linux):
// on a shared machine, how much else ran.
func loadAverage() string { return benchcmd.LoadAverage("n/a") }

// verdict says whether ratio meets the target.
func verdict(ratio float64) string {
	if ratio >= target {
		return "PASS"
	}
	return "BELOW"
}

// mode says what expiring does to the buckets' objects.
func mode(versioned bool) string {
	if versioned {
		return "versioned: expiring adds a delete marker, no data is freed"
	}
	return "unversioned: expiring removes the object and frees its blob"
}

// calls says how many DeleteObjects calls the baseline had in flight.
func calls(conc int) string {
	if conc == 1 {
		return "1 call in flight"
	}
	return fmt.Sprintf("%d calls in flight", conc)
}

func printResults(w io.Writer, r Results) {
	m, c := r.Machine, r.Config
	fmt.Fprintf(w, "quarry lcbench  %s  %s/%s  %d CPUs  %s\n", m.Date, m.GOOS, m.GOARCH, m.NumCPU, m.GoVersion)
	fmt.Fprintf(w, "data in %s; load average at start %s, at end %s\n\n", m.Dir, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(w, "%d objects in each of two buckets (1..%d B, %.1f MB each), %s\n",
		c.Objects, maxObjectSize, float64(r.Seed.BytesPerBucket)/1e6, mode(c.Versioned))
	fmt.Fprintf(w, "seeded in %.1f s (blob files %.1f s); the rule was due %.1f s later\n\n",
		r.Seed.Seconds, r.Seed.BlobSeconds, r.WaitSeconds)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\ts\tobjects/s\tblobs freed after s\tserver CPU s\t")
	row := func(name string, s Side) {
		freed := fmt.Sprintf("%.2f", s.FreedSeconds)
		if c.Versioned {
			freed = "-" // delete markers free nothing
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%s\t%.2f\t\n", name, s.Seconds, s.ObjectsPerSecond, freed, s.ServerCPUSeconds)
	}
	row("LIFECYCLE_UPDATE", r.Job)
	row(fmt.Sprintf("DeleteObjects, %d keys, %s", c.KeysPerDelete, calls(c.Conc)), r.Baseline)
	tw.Flush()

	j, v := r.JobStats, r.Verified
	fmt.Fprintf(w, "\njob: total %d, processed %d, skipped %d, failed %d; expired %d, bytesFreed %d\n",
		j.Total, j.Processed, j.Skipped, j.Failed, j.Expired, j.BytesFreed)
	fmt.Fprintf(w, "after both: nothing listed in either bucket; version rows %d / %d; objects counted %d / %d; blob files left %d\n",
		v.Versions[0], v.Versions[1], v.Usage[0].Objects, v.Usage[1].Objects, v.Blobs)
	fmt.Fprintf(w, "\nSUMMARY: LIFECYCLE_UPDATE %.0f objects/s = %.2fx DeleteObjects (%.0f objects/s, %s) %s (target %.0fx)\n",
		r.Job.ObjectsPerSecond, r.Ratio, r.Baseline.ObjectsPerSecond, calls(c.Conc), verdict(r.Ratio), target)
}
