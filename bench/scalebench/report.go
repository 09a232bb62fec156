package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

func printResults(w io.Writer, r *Results) {
	fmt.Fprintf(w, "quarry scalebench  %s  %s/%s  %d CPUs  %s\n", r.Date, r.GOOS, r.GOARCH, r.NumCPU, r.GoVersion)
	fmt.Fprintf(w, "load average at start %s, at end %s\n", r.LoadStart, r.LoadEnd)
	fmt.Fprintf(w, "PUT, GET: %d B objects from %d clients for %s each; RECON: %s of %d versions seeded through the metadata store, fastest of %d passes\n",
		objectSize, r.Clients, r.Duration, reconJob, r.Objects, r.ReconReps)
	switch {
	case r.InlineMax < 0:
		fmt.Fprintf(w, "the nodes' --inline-max is the server's default: 4 KiB bodies are kept in the metadata store, not the blob store\n")
	case r.InlineMax < objectSize:
		fmt.Fprintf(w, "--inline-max %d: 4 KiB bodies are kept in the blob store (local disk or the component)\n", r.InlineMax)
	default:
		fmt.Fprintf(w, "--inline-max %d: 4 KiB bodies are kept in the metadata store, not the blob store\n", r.InlineMax)
	}
	if r.PostgreSQL != "" {
		fmt.Fprintf(w, "%s; SQLite: synchronous=FULL\n", r.PostgreSQL)
	}

	sq, pg := pick(r.Runs, "SQLite", "local disk", 1), pick(r.Runs, "PostgreSQL", "local disk", 1)
	if sq != nil {
		fmt.Fprintf(w, "\nONE NODE, object data on local disk: SQLite vs PostgreSQL\n")
		compare(w, sq, pg, "SQLite", "PostgreSQL", pg != nil)
	}
	one, many := pick(r.Runs, "PostgreSQL", "storage component", 1), pick(r.Runs, "PostgreSQL", "storage component", r.Nodes)
	if one != nil {
		fmt.Fprintf(w, "\nPOSTGRESQL, object data on a storage component: 1 node vs %d nodes (clients round-robin over the nodes; RECON: %d buckets, one job created on each node)\n", r.Nodes, r.Nodes)
		compare(w, one, many, "1 node", fmt.Sprintf("%d nodes", r.Nodes), many != nil)
	}

	fmt.Fprintf(w, "\nWHERE THE TIME GOES (CPU seconds each process used during the measurement; cores used: all of them over the wall time, of %d;\n"+
		"other work: the cores the rest of the machine used meanwhile; pg write tx/op: PostgreSQL transactions that wrote, committed or not, per operation or object:\n"+
		"above 1 per PUT, the store re-ran transactions PostgreSQL aborted for serialisation failures)\n", r.NumCPU)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\top\tcount\terrors\twall s\trate\tp50 ms\tp99 ms\tnodes CPU s\tcomponent\tpostgres\tclients\tcores used\tother work\tpg write tx/op\t")
	for _, m := range r.Runs {
		for _, p := range m.Phases {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%.0f %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
				m.Name, p.Op, p.Count, p.Errors, p.Seconds, p.Rate, p.Unit, latency(p.P50ms), latency(p.P99ms),
				nodesCPU(p.CPU), cpuOf(p.CPU, "component"), cpuOf(p.CPU, "postgres"), cpuOf(p.CPU, "clients"),
				coresUsed(p), otherCores(p), writeTxPerOp(p))
		}
	}
	tw.Flush()
	for _, m := range r.Runs {
		if p := m.phase("RECON"); p.SeedSeconds > 0 {
			fmt.Fprintf(w, "%s: seeding %d versions into %d bucket(s) through the metadata store took %.1f s (untimed)\n", m.Name, p.Count, p.Jobs, p.SeedSeconds)
		}
	}
	for _, m := range r.Runs {
		for _, p := range m.Phases {
			if p.FirstError != "" {
				fmt.Fprintf(w, "%s %s: %d errors, the first: %s\n", m.Name, p.Op, p.Errors, p.FirstError)
			}
		}
	}
	fmt.Fprintf(w, "\nSUMMARY: %s\n", summary(r))
}

// pick is the run on meta and blob with n nodes, or nil.
func pick(runs []Measurement, meta, blob string, n int) *Measurement {
	for i := range runs {
		if runs[i].Meta == meta && runs[i].Blob == blob && runs[i].Nodes == n {
			return &runs[i]
		}
	}
	return nil
}

var ops = []string{"PUT", "GET", "RECON"}

// compare prints a's and b's rates and b / a, then the same per CPU-second
// the measured processes used: on a machine shared with other work, a
// deployment of more processes gets a larger share of the CPUs, and the
// rate per CPU-second says what it did with them. Without b (not
// measured) its columns say so.
func compare(w io.Writer, a, b *Measurement, aName, bName string, haveB bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "op\tunit\t%s\t%s\t%s / %s\tper CPU-second: %s\t%s\t%s / %s\t\n", aName, bName, bName, aName, aName, bName, bName, aName)
	for _, op := range ops {
		pa := a.phase(op)
		if !haveB {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\tnot measured\t-\t%s\t-\t-\t\n", op, pa.Unit, pa.Rate, perCPU(pa))
			continue
		}
		pb := b.phase(op)
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t\n", op, pa.Unit, pa.Rate, pb.Rate, ratio(pb.Rate, pa.Rate),
			perCPU(pa), perCPU(pb), ratio(pb.perCPU(), pa.perCPU()))
	}
	tw.Flush()
}

// perCPU is the operations (or objects) per CPU-second of every measured
// process: nodes, component, PostgreSQL and the clients.
func (p Phase) perCPU() float64 {
	var total float64
	for _, c := range p.CPU {
		total += c.Seconds
	}
	if total <= 0 {
		return 0
	}
	return float64(p.Count) / total
}

func perCPU(p Phase) string {
	if p.perCPU() == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", p.perCPU())
}

func ratio(num, den float64) string {
	if den <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", num/den)
}

func latency(ms float64) string {
	if ms == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", ms)
}

// nodesCPU is the nodes' CPU seconds, and each node's when there are
// several.
func nodesCPU(cpu []ProcCPU) string {
	var total float64
	var each []string
	for _, c := range cpu {
		if strings.HasPrefix(c.Name, "node ") {
			total += c.Seconds
			each = append(each, fmt.Sprintf("%.1f", c.Seconds))
		}
	}
	switch len(each) {
	case 0:
		return "-"
	case 1:
		return each[0]
	}
	return fmt.Sprintf("%.1f (%s)", total, strings.Join(each, "+"))
}

func cpuOf(cpu []ProcCPU, name string) string {
	for _, c := range cpu {
		if c.Name == name {
			return fmt.Sprintf("%.1f", c.Seconds)
		}
	}
	return "-"
}

// coresUsed is all the processes' CPU over the wall time: how much of the
// machine the measurement had.
func coresUsed(p Phase) string {
	if len(p.CPU) == 0 || p.Seconds <= 0 {
		return "-"
	}
	var total float64
	for _, c := range p.CPU {
		total += c.Seconds
	}
	return fmt.Sprintf("%.2f", total/p.Seconds)
}

// otherCores is the CPU the rest of the machine used over the wall time.
func otherCores(p Phase) string {
	if p.OtherCPU == nil || p.Seconds <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", *p.OtherCPU/p.Seconds)
}

func writeTxPerOp(p Phase) string {
	if p.PGWriteTx == nil || p.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(*p.PGWriteTx)/float64(p.Count))
}

// summary is the ratios on one line.
func summary(r *Results) string {
	var parts []string
	sq, pg := pick(r.Runs, "SQLite", "local disk", 1), pick(r.Runs, "PostgreSQL", "local disk", 1)
	for _, op := range ops {
		if sq == nil {
			break
		}
		if pg == nil {
			parts = append(parts, fmt.Sprintf("SQLite %s %.0f %s", op, sq.phase(op).Rate, sq.phase(op).Unit))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s PostgreSQL/SQLite %s", op, ratio(pg.phase(op).Rate, sq.phase(op).Rate)))
	}
	one, many := pick(r.Runs, "PostgreSQL", "storage component", 1), pick(r.Runs, "PostgreSQL", "storage component", r.Nodes)
	if one != nil && many != nil {
		for _, op := range ops {
			parts = append(parts, fmt.Sprintf("%s %d nodes/1 node %s", op, r.Nodes, ratio(many.phase(op).Rate, one.phase(op).Rate)))
		}
	}
	return strings.Join(parts, "; ")
}
