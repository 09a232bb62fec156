package pairbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"
	"time"
)

// Results is one run, as printed and as written with -json.
type Results struct {
	Command   string    `json:"command"`
	Started   time.Time `json:"started"`
	LoadStart string    `json:"loadStart"`
	LoadEnd   string    `json:"loadEnd"`
	Load      Load      `json:"load"`
	A         string    `json:"a"` // what side A is
	B         string    `json:"b"`
	Rows      []Row     `json:"rows"`
}

// Print writes the results as a table: each side's best rate and the
// ratio B / A.
func (r Results) Print(w io.Writer) {
	fmt.Fprintf(w, "quarry %s  %s  %s/%s  %d CPUs  %s\n", r.Command, r.Started.Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "load average at start %s, at end %s; best of %d runs each\n", r.LoadStart, r.LoadEnd, r.Load.Reps)
	fmt.Fprintf(w, "large: %d objects at concurrency %d; small: %d objects at concurrency %d\n\n", r.Load.LargeCount, r.Load.LargeConc, r.Load.SmallCount, r.Load.SmallConc)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "op\tsize\tunit\t%s\t%s\t%s / %s\t\n", r.A, r.B, r.B, r.A)
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.0f\t%.2f\t\n", row.Op, Size(row.Size), row.Unit, row.A, row.B, row.Ratio)
	}
	tw.Flush()
}

// WriteJSON writes the results to path, when path is set.
func (r Results) WriteJSON(path string) error {
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Size is n bytes in the largest binary unit that divides it.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
