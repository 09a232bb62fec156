package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

// printJSON writes v as one indented JSON document.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// printJobStatus writes one job as NAME value lines.
func printJobStatus(w io.Writer, st *mapiclient.JobStatus) error {
	tw := newTable(w)
	row := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s\t%s\n", name, value)
		}
	}
	row("ID", fmt.Sprint(st.JobID.ID))
	row("TYPE", st.JobType)
	row("BUCKET", st.BucketName)
	row("STATE", st.JobState)
	row("PARAMS", formatParams(st.JobParams))
	row("STARTED", st.StartTime)
	row("COMPLETED", st.CompleteTime)
	row("PROCESSED", fmt.Sprint(st.JobStats.Processed))
	row("FAILED", fmt.Sprint(st.JobStats.Failed))
	if st.JobStats.Total > 0 {
		row("TOTAL", fmt.Sprint(st.JobStats.Total))
	}
	if st.JobStats.Skipped > 0 || st.JobStats.Total > 0 {
		row("SKIPPED", fmt.Sprint(st.JobStats.Skipped))
	}
	if st.JobStats.Bytes > 0 {
		row("BYTES", humanBytes(float64(st.JobStats.Bytes)))
	}
	if ph, ok := st.Phase(); ok {
		row("PHASE", phaseText(ph))
	}
	row("MESSAGE", st.Message)
	return tw.Flush()
}

// phaseText words a phase a job reports, e.g. "checking blobs: 4500 of
// ~10000 blobs".
func phaseText(ph mapiclient.JobPhase) string {
	if ph.Total <= 0 {
		return fmt.Sprintf("%s: %d %s", ph.Step, ph.Done, ph.Unit)
	}
	of := fmt.Sprint(max(ph.Total, ph.Done))
	if ph.Estimated {
		of = "~" + of
	}
	return fmt.Sprintf("%s: %d of %s %s", ph.Step, ph.Done, of, ph.Unit)
}

// printJobTable writes jobs one per line.
func printJobTable(w io.Writer, jobs []mapiclient.JobStatus) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tTYPE\tBUCKET\tSTATE\tPROCESSED\tFAILED\tSTARTED")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", j.JobID.ID, j.JobType, j.BucketName, j.JobState,
			j.JobStats.Processed, j.JobStats.Failed, j.StartTime)
	}
	return tw.Flush()
}

func printFailureTable(w io.Writer, failures []mapiclient.JobFailure) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "KEY\tVERSION\tTIME\tREASON")
	for _, f := range failures {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Key, orDash(f.VersionID), f.Time, f.Reason)
	}
	return tw.Flush()
}

func printUserTable(w io.Writer, users []mapiclient.User) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tUSERNAME\tROLE")
	for _, u := range users {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", u.ID.ID, u.Username, u.Role)
	}
	return tw.Flush()
}

// finalLine sums up a job that ended, e.g. "job 12 COMPLETE: processed
// 100, failed 0, skipped 2, total 102 (METRIC_RECONCILIATION on photos, 1.2s)".
func finalLine(st *mapiclient.JobStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "job %d %s: processed %d, failed %d, skipped %d", st.JobID.ID, st.JobState,
		st.JobStats.Processed, st.JobStats.Failed, st.JobStats.Skipped)
	if st.JobStats.Total > 0 {
		fmt.Fprintf(&b, ", total %d", st.JobStats.Total)
	}
	if st.JobStats.Bytes > 0 {
		fmt.Fprintf(&b, ", %s", humanBytes(float64(st.JobStats.Bytes)))
	}
	fmt.Fprintf(&b, " (%s on %s", st.JobType, st.BucketName)
	start, ok1 := st.Started()
	end, ok2 := st.Completed()
	if ok1 && ok2 {
		fmt.Fprintf(&b, ", %s", end.Sub(start).Round(time.Millisecond))
	}
	b.WriteString(")")
	if st.Message != "" {
		fmt.Fprintf(&b, ": %s", st.Message)
	}
	return b.String()
}

// formatParams writes jobParams as k=v pairs in key order.
func formatParams(params map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		parts = append(parts, k+"="+params[k])
	}
	return strings.Join(parts, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// humanBytes formats a byte count or rate in SI units: 1.5 MB.
func humanBytes(n float64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%.0f B", n)
	}
	exp := 0
	for n >= unit*unit && exp < 5 {
		n /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", n/unit, "kMGTPE"[exp])
}
