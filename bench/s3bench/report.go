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
	Machine Machine `json:"machine"`
	// Peer names the other server measured in the same run ("minio"),
	// empty when there was none.
	Peer       string             `json:"peer,omitempty"`
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
	peerHead := ""
	if r.Peer != "" {
		peerHead = fmt.Sprintf("%s MB/s\tquarry/%s\ttarget\t", r.Peer, r.Peer)
	}
	fmt.Fprintln(tw, "op\tsize\tobjects\tconc\tquarry MB/s\tbaseline MB/s\tratio\ttarget\tserver cores\tclient cores\t"+peerHead)
	for _, t := range r.Throughput {
		if t.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.0f\t-\t%s\t-\t-\t%s\n", t.Op, humanBytes(t.ObjectSize), t.Objects, t.Concurrency, "ERROR", t.BaselineMBps, targetCell(t), peerCells(t.Peer))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.0f\t%.2f\t%s\t%s\t%s\t%s\n",
			t.Op, humanBytes(t.ObjectSize), t.Objects, t.Concurrency, t.QuarryMBps, t.BaselineMBps, t.Ratio,
			targetCell(t), coresCell(t.ServerCores), coresCell(t.ClientCores), peerCells(t.Peer))
	}
	tw.Flush()
	printErrors(w, r)

	fmt.Fprintln(w)
	fmt.Fprintln(w, "SMALL-OBJECT OPERATIONS (LIST = ListObjectsV2, max-keys 100; baseline PUT = write+fsync of a file, GET = read it)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\top\tsize\tconc\tops\terrors\tops/s\tp50 ms\tp99 ms\tserver cores\tclient cores\t")
	for _, o := range r.Ops {
		size := "-"
		if o.ObjectSize > 0 {
			size = humanBytes(o.ObjectSize)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.0f\t%.2f\t%.2f\t%s\t%s\t\n",
			o.Server, o.Op, size, o.Concurrency, o.Ops, o.Errors, o.OpsPerSec, o.P50Ms, o.P99Ms,
			coresCell(o.ServerCores), coresCell(o.ClientCores))
	}
	tw.Flush()
	for _, o := range r.Ops {
		if o.FirstError != "" {
			fmt.Fprintf(w, "  %s %s c%d first error: %s\n", o.Server, o.Op, o.Concurrency, o.FirstError)
		}
	}
	if cmp := compareOps(r.Ops, r.Peer); len(cmp) > 0 {
		fmt.Fprintln(w)
		title := "SMALL OBJECTS, QUARRY AGAINST THE BASELINE (same run)"
		if r.Peer != "" {
			title = fmt.Sprintf("SMALL OBJECTS, QUARRY AGAINST THE BASELINE AND %s (same run)", strings.ToUpper(r.Peer))
		}
		fmt.Fprintln(w, title)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		head := "op\tsize\tconc\tquarry ops/s\tbaseline ops/s\tquarry/baseline\t"
		if r.Peer != "" {
			head += fmt.Sprintf("%s ops/s\tquarry/%s\ttarget\t", r.Peer, r.Peer)
		}
		fmt.Fprintln(tw, head)
		for _, c := range cmp {
			size := "-"
			if c.Size > 0 {
				size = humanBytes(c.Size)
			}
			line := fmt.Sprintf("%s\t%s\t%d\t%.0f\t%s\t%s\t", c.Op, size, c.Concurrency, c.Quarry,
				rateCell(c.Baseline), ratioCell(c.Quarry, c.Baseline))
			if r.Peer != "" {
				line += peerCells(c.Peer)
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "load average at end %s\n", r.Machine.LoadEnd)
	fmt.Fprintln(w, r.Summary)
}

// opsComparison is one small-object operation at one concurrency: Quarry's
// rate, the baseline's (0 when there is none for the operation) and the
// peer's.
type opsComparison struct {
	Op          string
	Size        int64
	Concurrency int
	Quarry      float64
	Baseline    float64
	Peer        *PeerFigures
}

// peerSmallTarget is the goal for Quarry against the peer on small
// objects: PUT 1.2x at concurrency 16 (and above) and 1.0x at concurrency 1,
// GET 1.0x; zero where there is none.
func peerSmallTarget(op string, conc int) float64 {
	switch {
	case op == "PUT" && conc >= 16:
		return 1.2
	case op == "PUT" && conc == 1:
		return 1.0
	case op == "GET":
		return 1.0
	}
	return 0
}

// compareOps pairs each Quarry row of ops with the baseline's and the
// peer's rows of the same operation and concurrency. Without a peer only
// the operations that have a baseline are compared.
func compareOps(ops []OpsResult, peer string) []opsComparison {
	type k struct {
		server, op string
		conc       int
	}
	rows := map[k]OpsResult{}
	for _, o := range ops {
		rows[k{o.Server, o.Op, o.Concurrency}] = o
	}
	var out []opsComparison
	for _, o := range ops {
		if o.Server != "quarry" {
			continue
		}
		c := opsComparison{Op: o.Op, Size: o.ObjectSize, Concurrency: o.Concurrency, Quarry: o.OpsPerSec}
		if base, ok := rows[k{serverBaseline, o.Op, o.Concurrency}]; ok && base.Errors == 0 {
			c.Baseline = base.OpsPerSec
		}
		if p, ok := rows[k{peer, o.Op, o.Concurrency}]; ok && peer != "" {
			c.Peer = &PeerFigures{Name: peer, OpsPerSec: p.OpsPerSec, Target: peerSmallTarget(o.Op, o.Concurrency)}
			if p.Errors > 0 {
				c.Peer.Error = p.FirstError
			}
			quarryErr := ""
			if o.Errors > 0 {
				quarryErr = o.FirstError
			}
			c.Peer.judge(o.OpsPerSec, quarryErr)
		}
		if c.Baseline == 0 && c.Peer == nil {
			continue
		}
		out = append(out, c)
	}
	return out
}

// peerCells are the peer's columns of a row: its rate, Quarry's ratio to
// it and the verdict; empty without a peer.
func peerCells(p *PeerFigures) string {
	if p == nil {
		return ""
	}
	rate := max(p.MBps, p.OpsPerSec)
	target := ""
	if p.Target > 0 {
		target = fmt.Sprintf(">=%.2f", p.Target)
		if p.Verdict != "" {
			target = p.Verdict + " " + target
		}
	}
	if p.Error != "" {
		return fmt.Sprintf("ERROR\t-\t%s\t", target)
	}
	ratio := "-"
	if p.Ratio > 0 {
		ratio = fmt.Sprintf("%.2f", p.Ratio)
	}
	return fmt.Sprintf("%.0f\t%s\t%s\t", rate, ratio, target)
}

func rateCell(v float64) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

func ratioCell(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func printErrors(w io.Writer, r Results) {
	for _, t := range r.Throughput {
		if t.Error != "" {
			fmt.Fprintf(w, "  %s %s c%d: %s\n", t.Op, humanBytes(t.ObjectSize), t.Concurrency, t.Error)
		}
		if t.Peer != nil && t.Peer.Error != "" {
			fmt.Fprintf(w, "  %s: %s %s c%d: %s\n", t.Peer.Name, t.Op, humanBytes(t.ObjectSize), t.Concurrency, t.Peer.Error)
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
		if o.Server != "quarry" {
			continue
		}
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
	for _, c := range compareOps(r.Ops, "") {
		parts = append(parts, fmt.Sprintf("%s %s c%d %.2fx of baseline", c.Op, humanBytes(c.Size), c.Concurrency, c.Quarry/c.Baseline))
	}
	if r.Peer != "" {
		parts = append(parts, peerSummary(r)...)
	}
	if n := countFailures(r); n > 0 {
		parts = append(parts, fmt.Sprintf("%d measurement(s) with errors", n))
	}
	return "SUMMARY: " + strings.Join(parts, "; ")
}

// peerSummary is Quarry against the peer on every row with a target.
func peerSummary(r Results) []string {
	var parts []string
	judged := func(what string, p *PeerFigures) {
		switch {
		case p == nil || p.Target == 0:
		case p.Verdict == "":
			parts = append(parts, fmt.Sprintf("%s vs %s not measured", what, r.Peer))
		default:
			parts = append(parts, fmt.Sprintf("%s %.2fx %s %s (target %.2f)", what, p.Ratio, r.Peer, p.Verdict, p.Target))
		}
	}
	for _, c := range compareOps(r.Ops, r.Peer) {
		judged(fmt.Sprintf("%s %s c%d", c.Op, humanBytes(c.Size), c.Concurrency), c.Peer) // only PUT and GET have targets
	}
	for _, t := range r.Throughput {
		judged(fmt.Sprintf("%s %s c%d", t.Op, humanBytes(t.ObjectSize), t.Concurrency), t.Peer)
	}
	return parts
}

// countFailures counts measurements that failed outright or saw errors, on
// either server.
func countFailures(r Results) int {
	n := 0
	for _, t := range r.Throughput {
		if t.Error != "" {
			n++
		}
		if t.Peer != nil && t.Peer.Error != "" {
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
