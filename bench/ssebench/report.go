package main

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"
)

// Results is one run, as printed and as written with -json.
type Results struct {
	Started    time.Time `json:"started"`
	LoadStart  string    `json:"loadStart"`
	LoadEnd    string    `json:"loadEnd"`
	LargeSize  int64     `json:"largeSize"`
	LargeCount int       `json:"largeCount"`
	LargeConc  int       `json:"largeConc"`
	SmallSize  int64     `json:"smallSize"`
	SmallCount int       `json:"smallCount"`
	SmallConc  int       `json:"smallConc"`
	Reps       int       `json:"reps"`
	Rows       []Row     `json:"rows"`
}

func printResults(w io.Writer, r Results) {
	fmt.Fprintf(w, "quarry ssebench  %s  %s/%s  %d CPUs  %s\n", r.Started.Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "load average at start %s, at end %s; best of %d runs each\n", r.LoadStart, r.LoadEnd, r.Reps)
	fmt.Fprintf(w, "large: %d objects at concurrency %d; small: %d objects at concurrency %d\n\n", r.LargeCount, r.LargeConc, r.SmallCount, r.SmallConc)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tsize\tunit\tplain\tSSE-S3\tSSE / plain\t")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.0f\t%.2f\t\n", row.Op, size(row.Size), row.Unit, row.Plain, row.SSE, row.Ratio)
	}
	tw.Flush()
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
