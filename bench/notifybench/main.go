// Command notifybench measures how fast Quarry delivers bucket events to a
// local webhook: a TRIGGER_RECONCILIATION job in mode ALL over a bucket of
// many objects sends one event per object, and its events per second are
// set against a baseline taken in the same run, plain concurrent HTTP
// POSTs of the same payloads from this process to the same webhook at the
// job's concurrency. The job also reads the objects, writes each event to
// the outbox and records its delivery, which the baseline does not.
//
// It builds (or is given) the quarry binary, starts a server on a
// throwaway data directory, seeds the objects straight into its metadata
// (their data is never read), measures, stops the server, removes the
// directory and prints a table.
//
//	go run ./bench/notifybench [-objects 50000] [-reps 1]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
	"github.com/quarrylabs/quarry/internal/notify"
)

// target is the target: job events/s over baseline events/s.
const target = 0.8

// config is the parsed command line.
type config struct {
	bin         string
	dir         string
	objects     int
	conc        int
	reps        int
	keep        bool
	timeout     time.Duration
	loadAtStart string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("notifybench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "where to make the throwaway data directory")
	fs.IntVar(&c.objects, "objects", 50_000, "objects in the bucket: one event each")
	fs.IntVar(&c.conc, "conc", notify.DefaultReconConcurrency, "baseline POSTers (the job sends 16 events at once)")
	fs.IntVar(&c.reps, "reps", 1, "runs of each side; the best is kept")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directory")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.objects < 1 || c.conc < 1 || c.reps < 1 {
		return c, errors.New("-objects, -conc and -reps must be positive")
	}
	return c, nil
}

func main() { benchcmd.Main("notifybench", parseFlags, run) }

// run owns the work directory, the server and the webhook and releases
// them whatever happens.
func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()
	start := time.Now()
	cfg.loadAtStart = benchcmd.LoadAverage("n/a")

	workDir, err := benchcmd.MakeWorkDir(cfg.dir, "quarry-notifybench-", cfg.keep, progress)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, workDir.Close)
	if cfg.bin, err = quarryproc.Binary(ctx, cfg.bin, workDir.Path, progress); err != nil {
		return err
	}
	hook, err := startWebhook()
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, hook.Close)
	srv, err := startServer(ctx, cfg.bin, filepath.Join(workDir.Path, "data"))
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, srv.Stop)

	b, err := setUp(ctx, cfg, srv, hook)
	if err != nil {
		return err
	}
	defer b.store.Close()
	res, err := b.measure(ctx)
	if err != nil {
		return err
	}
	report(os.Stdout, cfg, res, start)
	return nil
}

// progress reports what the benchmark is doing on stderr.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "# "+format+"\n", args...)
}
