// Command lcbench measures how fast LIFECYCLE_UPDATE expires objects,
// against a baseline taken in the same run: the same deletions sent as S3
// DeleteObjects calls of 1,000 keys each (aws-sdk-go-v2) to an identical
// second bucket. It builds (or is given) the quarry binary, starts a server
// with one-second lifecycle days and no scanner on a throwaway data
// directory, seeds both buckets with the same objects (metadata rows and
// real blob files), times the job and the baseline, checks that both
// buckets ended empty and every blob was freed, stops the server, removes
// the directory and prints a table.
//
//	go run ./bench/lcbench [-objects 100000] [-versioned] [-conc 1] [-json results.json]
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

// target is the issue's: the job at least twice the baseline's objects/s.
const target = 2.0

// keysPerDelete is how many keys one DeleteObjects call carries: S3's
// maximum, the best a client can do per request.
const keysPerDelete = 1000

// config is the parsed command line.
type config struct {
	bin       string
	dir       string
	objects   int
	versioned bool
	conc      int
	seedBatch int
	seedConc  int
	debugAddr string
	jsonOut   string
	keep      bool
	timeout   time.Duration
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("lcbench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "where to make the throwaway data directory")
	fs.IntVar(&c.objects, "objects", 100_000, "objects seeded into each of the two buckets")
	fs.BoolVar(&c.versioned, "versioned", false, "versioned buckets: expiring adds delete markers instead of removing objects")
	fs.IntVar(&c.conc, "conc", 1, "DeleteObjects calls in flight in the baseline (the job runs one batch at a time)")
	fs.IntVar(&c.seedBatch, "seed-batch", 10_000, "objects per seeding transaction (not timed as the job or baseline)")
	fs.IntVar(&c.seedConc, "seed-conc", 8, "concurrent blob writes while seeding")
	fs.StringVar(&c.debugAddr, "debug-addr", "", "start the server with --debug-addr on this address, for go tool pprof")
	fs.StringVar(&c.jsonOut, "json", "", "also write the figures as JSON to this file")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directory")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.objects < 1 || c.conc < 1 || c.seedBatch < 1 || c.seedConc < 1 {
		return c, errors.New("-objects, -conc, -seed-batch and -seed-conc must be positive")
	}
	return c, nil
}

// serverArgs are the flags the server runs with beyond quarryproc's: a
// one-second lifecycle day, so that a Days: 1 rule is due about two
// seconds after the seed, and no scanner, so that only the job measured
// expires anything.
func serverArgs(cfg config) []string {
	args := []string{"--lifecycle-day", "1s", "--lifecycle-scan=false"}
	if cfg.debugAddr != "" {
		args = append(args, "--debug-addr", cfg.debugAddr)
	}
	return args
}

func main() { benchcmd.Main("lcbench", parseFlags, run) }

// run owns the work directory and the server and releases both whatever
// happens.
func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()
	res := Results{Machine: describeMachine(), Config: configJSON{
		Objects: cfg.objects, Versioned: cfg.versioned, Conc: cfg.conc, KeysPerDelete: keysPerDelete}}

	workDir, err := benchcmd.MakeWorkDir(cfg.dir, "quarry-lcbench-", cfg.keep, progress)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, workDir.Close)
	res.Machine.Dir = workDir.Path
	bin, err := quarryproc.Binary(ctx, cfg.bin, workDir.Path, progress)
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, bin, filepath.Join(workDir.Path, "data"), serverArgs(cfg))
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, srv.Stop)
	b, err := newBench(ctx, cfg, srv)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.measure(ctx, &res); err != nil {
		return err
	}
	res.Machine.LoadEnd = loadAverage()
	printResults(os.Stdout, res)
	if cfg.jsonOut != "" {
		out, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(out, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", cfg.jsonOut, err)
		}
	}
	return nil
}

// progress reports what the benchmark is doing on stderr; the figures go
// to stdout.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "lcbench: "+format+"\n", args...)
}
