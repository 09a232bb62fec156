package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// Results is everything one run measured; -json writes it as is.
type Results struct {
	Date      string `json:"date"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	NumCPU    int    `json:"numCpu"`
	GoVersion string `json:"goVersion"`
	LoadStart string `json:"loadStart"`
	LoadEnd   string `json:"loadEnd"`
	Objects   int    `json:"objects"`
	Clients   int    `json:"clients"`
	Nodes     int    `json:"nodes"`
	Duration  string `json:"duration"`
	ReconReps int    `json:"reconReps"`
	// InlineMax is the nodes' --inline-max, -1 for the server's default.
	InlineMax int64 `json:"inlineMax"`
	// PostgreSQL describes the server the PostgreSQL runs used.
	PostgreSQL string        `json:"postgresql,omitempty"`
	Runs       []Measurement `json:"runs"`
}

// run owns the work directory, the servers and PostgreSQL, and releases
// them whatever happens. The figures measured before a failure are
// printed before it is reported.
func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()
	work, err := benchcmd.MakeWorkDir(cfg.dir, "quarry-scalebench-", cfg.keep, progress)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, work.Close)
	bin, err := quarryproc.Binary(ctx, cfg.bin, work.Path, progress)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, bin: bin, work: work.Path, root: quarryproc.BenchRoot(), bodies: make([]byte, bodyWindows*objectSize)}
	// Random bodies: nothing on the path gets a free ride from compression.
	if _, err := rand.Read(b.bodies); err != nil {
		return err
	}
	res := &Results{
		Date: time.Now().UTC().Format(time.RFC3339), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: benchcmd.LoadAverage("unknown"),
		Objects: cfg.objects, Clients: cfg.clients, Nodes: cfg.nodes, Duration: cfg.duration.String(),
		InlineMax: cfg.inlineMax, ReconReps: cfg.reconReps,
	}
	err = b.measureAll(ctx, res)
	res.LoadEnd = benchcmd.LoadAverage("unknown")
	if len(res.Runs) > 0 {
		printResults(os.Stdout, res)
		if cfg.jsonOut != "" {
			data, _ := json.MarshalIndent(res, "", "  ")
			if werr := os.WriteFile(cfg.jsonOut, append(data, '\n'), 0o644); werr != nil && err == nil {
				err = fmt.Errorf("write %s: %w", cfg.jsonOut, werr)
			}
		}
	}
	return err
}

// measureAll measures every deployment in turn, one running at a time,
// appending each one's figures to res as they come.
func (b *bench) measureAll(ctx context.Context, res *Results) (err error) {
	m, err := b.measureOne(ctx, res, b.sqliteNode, 1)
	if err != nil {
		return err
	}
	res.Runs = append(res.Runs, m)
	if b.cfg.skipPG {
		return nil
	}
	if b.pg, err = newPGServer(b.cfg.pg); err != nil {
		return err
	}
	defer benchcmd.Release(&err, b.pg.close)
	defer func() {
		if b.component != nil {
			benchcmd.Release(&err, b.component.Stop)
		}
	}()
	runs := []struct {
		nodes       int
		onComponent bool
		buckets     int
	}{
		// One node: the metadata store is the only difference from SQLite.
		{1, false, 1},
		// One node and N nodes on the component: the same workload, the
		// reconciliation split so that every node can take a job.
		{1, true, b.cfg.nodes},
		{b.cfg.nodes, true, b.cfg.nodes},
	}
	for _, r := range runs {
		start := func(ctx context.Context) (*deployment, error) { return b.pgNodes(ctx, r.nodes, r.onComponent) }
		m, err := b.measureOne(ctx, res, start, r.buckets)
		if err != nil {
			return err
		}
		res.Runs = append(res.Runs, m)
	}
	return nil
}

// measureOne starts a deployment, measures it and stops it.
func (b *bench) measureOne(ctx context.Context, res *Results, start func(context.Context) (*deployment, error), buckets int) (m Measurement, err error) {
	d, err := start(ctx)
	if err != nil {
		return m, err
	}
	defer benchcmd.Release(&err, d.close)
	if d.probe != nil {
		res.PostgreSQL = "PostgreSQL " + d.probe.Version + " (" + d.probe.Settings + ")"
	}
	return b.measure(ctx, d, buckets)
}
