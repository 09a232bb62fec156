// Command ssebench measures what server-side encryption at rest costs: PUT
// and GET of large (64 MiB) and small (4 KiB) objects into a bucket without
// encryption and into one whose default encryption is SSE-S3 (AES256), in
// the same run against the same server, alternating the two so that a
// machine busy for a moment slows both. It prints each side's best rate
// over the repetitions and the ratio encrypted / plain.
//
//	go run ./bench/ssebench [-large-count 8] [-small-count 2000] [-reps 3] [-json results.json]
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
	bin        string
	dir        string
	largeSize  int64
	largeCount int
	largeConc  int
	smallSize  int64
	smallCount int
	smallConc  int
	reps       int
	jsonOut    string
	keep       bool
	timeout    time.Duration
}

func parseFlags(args []string) (config, error) {
	c := config{largeSize: 64 << 20, smallSize: 4 << 10}
	fs := flag.NewFlagSet("ssebench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "where to make the throwaway data directory")
	fs.IntVar(&c.largeCount, "large-count", 8, "large objects per run")
	fs.IntVar(&c.largeConc, "large-conc", 1, "concurrent large-object requests")
	fs.IntVar(&c.smallCount, "small-count", 2000, "small objects per run")
	fs.IntVar(&c.smallConc, "small-conc", 8, "concurrent small-object requests")
	fs.IntVar(&c.reps, "reps", 3, "repetitions; each side's best is reported")
	fs.StringVar(&c.jsonOut, "json", "", "also write the figures as JSON to this file")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directory")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.largeCount < 1 || c.smallCount < 1 || c.largeConc < 1 || c.smallConc < 1 || c.reps < 1 {
		return c, errors.New("counts, concurrency and -reps must be positive")
	}
	return c, nil
}

func main() { benchcmd.Main("ssebench", parseFlags, run) }

// Credentials of the throwaway loopback server.
const (
	rootUser      = "bench-root"
	rootPassword  = "bench-Root-Passw0rd-5e1a"
	rootAccessKey = "BENCHROOTACCESSKEY01"
	rootSecretKey = "benchRootSecretKey0123456789abcdefghijklm"
)

func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()
	work, err := benchcmd.MakeWorkDir(cfg.dir, "quarry-ssebench-", cfg.keep, note)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, work.Close)
	bin, err := quarryproc.Binary(ctx, cfg.bin, work.Path, progress)
	if err != nil {
		return err
	}
	srv, err := quarryproc.Start(ctx, quarryproc.Config{
		Name: "quarry", Bin: bin, DataDir: filepath.Join(work.Path, "data"),
		Root:    quarryproc.Root{User: rootUser, Password: rootPassword, AccessKey: rootAccessKey, SecretKey: rootSecretKey},
		Started: func(s *quarryproc.Server) { progress("started quarry (pid %d), S3 at %s", s.PID(), s.S3URL) },
	})
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, srv.Stop)

	b, err := newBench(ctx, cfg, srv.S3URL)
	if err != nil {
		return err
	}
	res := Results{
		Started: time.Now().UTC(), LoadStart: benchcmd.LoadAverage("unknown"),
		LargeSize: cfg.largeSize, LargeCount: cfg.largeCount, LargeConc: cfg.largeConc,
		SmallSize: cfg.smallSize, SmallCount: cfg.smallCount, SmallConc: cfg.smallConc, Reps: cfg.reps,
	}
	if res.Rows, err = b.measure(ctx); err != nil {
		return err
	}
	res.LoadEnd = benchcmd.LoadAverage("unknown")
	printResults(os.Stdout, res)
	if cfg.jsonOut != "" {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.jsonOut, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", cfg.jsonOut, err)
		}
	}
	return nil
}

func progress(format string, args ...any) { fmt.Fprintf(os.Stderr, "# "+format+"\n", args...) }

func note(format string, args ...any) { fmt.Fprintf(os.Stderr, "ssebench: "+format+"\n", args...) }
