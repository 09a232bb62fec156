// Command jobbench measures Quarry's job engine through its management API:
// jobs/create latency under concurrent clients, and METRIC_RECONCILIATION
// throughput on a big bucket against a baseline taken in the same run on
// the same database file (one SELECT count(*), sum(size) over the same
// rows). It builds (or is given) the quarry binary, starts a server on a
// throwaway data directory, measures, stops the server, removes the
// directory and prints a table.
//
//	go run ./bench/jobbench [-clients 32] [-creates 2000] [-objects 1000000] [-json results.json]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// config is the parsed command line.
type config struct {
	bin     string
	dir     string
	clients int
	creates int
	objects int
	batch   int
	jsonOut string
	keep    bool
	timeout time.Duration
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("jobbench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "where to make the throwaway data directory")
	fs.IntVar(&c.clients, "clients", 32, "concurrent MAPI clients for the jobs/create run")
	fs.IntVar(&c.creates, "creates", 2000, "jobs/create calls, each on a bucket of its own")
	fs.IntVar(&c.objects, "objects", 1_000_000, "versions seeded into the reconciliation bucket")
	fs.IntVar(&c.batch, "seed-batch", 50_000, "versions per seeding transaction")
	fs.StringVar(&c.jsonOut, "json", "", "also write the figures as JSON to this file")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directory")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.clients < 1 || c.creates < 1 || c.objects < 1 || c.batch < 1 {
		return c, errors.New("-clients, -creates, -objects and -seed-batch must be positive")
	}
	return c, nil
}

func main() { benchcmd.Main("jobbench", parseFlags, run) }

// run owns the work directory and the server and releases both whatever
// happens.
func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()

	workDir, err := benchcmd.MakeWorkDir(cfg.dir, "quarry-jobbench-", cfg.keep, progress)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, workDir.Close)
	bin, err := quarryproc.Binary(ctx, cfg.bin, workDir.Path, progress)
	if err != nil {
		return err
	}

	res := Results{Machine: describeMachine(workDir.Path), Config: configJSON{
		Clients: cfg.clients, Creates: cfg.creates, Objects: cfg.objects}}
	srv, err := startServer(ctx, bin, filepath.Join(workDir.Path, "data"))
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, srv.Stop)
	st, err := openStore(ctx, srv.DataDir)
	if err != nil {
		return err
	}
	defer st.Close()

	if res.Create, err = benchCreate(ctx, cfg, srv, st); err != nil {
		return fmt.Errorf("jobs/create run: %w", err)
	}
	if res.Recon, err = benchRecon(ctx, cfg, srv, st); err != nil {
		return fmt.Errorf("reconciliation run: %w", err)
	}
	res.Machine.LoadEnd = loadAverage()
	printResults(os.Stdout, res)
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", cfg.jsonOut, err)
		}
	}
	return nil
}

// progress reports what the benchmark is doing on stderr; the figures go
// to stdout.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "jobbench: "+format+"\n", args...)
}
