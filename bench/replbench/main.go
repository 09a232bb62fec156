// Command replbench measures Quarry's bucket replication between two local
// Quarry processes against a baseline taken in the same run: a plain
// client-side loop (aws-sdk-go-v2) that GETs each object from the source
// and PUTs it to the destination, at the same concurrency as the
// BATCH_REPLICATE job copies, and `rclone copy --transfers 16` between the
// same two servers. It builds (or is given) the quarry binary,
// starts a source and a destination server on throwaway data directories,
// measures 4 KiB objects (objects/s) and 16 MiB objects (MB/s), stops both
// servers, removes the directories and prints a table with the ratios.
//
//	go run ./bench/replbench [-small-count 5000] [-large-count 32] [-reps 1]
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// The targets: replication / client loop, and replication /
// rclone copy for small objects (no target for large ones).
const (
	smallTarget       = 1.5
	largeTarget       = 0.9
	smallRcloneTarget = 1.5
)

// rcloneTransfers is the rclone copy --transfers the issue compares with.
const rcloneTransfers = 16

// batchConcurrency is replication.DefaultBatchConcurrency, the copies a
// BATCH_REPLICATE job runs at once (the server has no flag for it): the
// baseline's default concurrency must match it.
const batchConcurrency = 16

// config is the parsed command line.
type config struct {
	bin         string
	dir         string
	smallCount  int
	smallSize   int64
	largeCount  int
	largeSize   int64
	conc        int
	seedConc    int
	reps        int
	keep        bool
	timeout     time.Duration
	loadAtStart string
	// rclone is the rclone binary of the second baseline, empty for none.
	rclone          string
	rcloneTransfers int
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("replbench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "where to make the throwaway data directories")
	fs.IntVar(&c.smallCount, "small-count", 5000, "small objects to replicate")
	fs.Int64Var(&c.smallSize, "small-size", 4<<10, "size of the small objects in bytes")
	fs.IntVar(&c.largeCount, "large-count", 32, "large objects to replicate (0: no large case)")
	fs.Int64Var(&c.largeSize, "large-size", 16<<20, "size of the large objects in bytes")
	fs.IntVar(&c.conc, "conc", batchConcurrency, "client loop workers (BATCH_REPLICATE copies 16 at once)")
	fs.IntVar(&c.seedConc, "seed-conc", 16, "concurrent PUTs seeding the source (not timed)")
	fs.IntVar(&c.reps, "reps", 1, "runs of each side per case; the best is kept")
	defaultRclone, _ := exec.LookPath("rclone")
	fs.StringVar(&c.rclone, "rclone", defaultRclone, "rclone binary for the rclone copy baseline (default: rclone on PATH; empty: no rclone baseline)")
	fs.IntVar(&c.rcloneTransfers, "rclone-transfers", rcloneTransfers, "rclone copy --transfers")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directories")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.smallCount < 1 || c.largeCount < 0 || c.smallSize < 1 || c.largeSize < 1 || c.conc < 1 || c.seedConc < 1 || c.reps < 1 || c.rcloneTransfers < 1 {
		return c, errors.New("-small-count, sizes, -conc, -seed-conc, -reps and -rclone-transfers must be positive, -large-count not negative")
	}
	return c, nil
}

func main() { benchcmd.Main("replbench", parseFlags, run) }

// run owns the work directory and both servers and releases them whatever
// happens.
func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()
	start := time.Now()
	cfg.loadAtStart = loadAverage()

	workDir, err := benchcmd.MakeWorkDir(cfg.dir, "quarry-replbench-", cfg.keep, progress)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, workDir.Close)
	if cfg.bin, err = quarryproc.Binary(ctx, cfg.bin, workDir.Path, progress); err != nil {
		return err
	}
	b := &bench{cfg: cfg}
	for _, s := range []struct {
		name string
		into **quarryproc.Server
	}{{"source", &b.src}, {"destination", &b.dst}} {
		srv, startErr := startServer(ctx, s.name, cfg.bin, filepath.Join(workDir.Path, s.name))
		if startErr != nil {
			return startErr
		}
		*s.into = srv
		defer benchcmd.Release(&err, srv.Stop)
	}
	if b.mapi, err = login(ctx, b.src.MAPIURL); err != nil {
		return fmt.Errorf("log in to the source's MAPI: %w", err)
	}
	b.srcS3 = newS3Client(b.src.S3URL, max(cfg.conc, cfg.seedConc))
	b.dstS3 = newS3Client(b.dst.S3URL, cfg.conc)
	b.data = make([]byte, max(cfg.smallSize, cfg.largeSize)+4096*64)
	// Random bodies: nothing on the path gets a free ride from compression.
	if _, err := rand.Read(b.data); err != nil {
		return fmt.Errorf("random data: %w", err)
	}

	cases := []benchCase{{name: "small", count: cfg.smallCount, size: cfg.smallSize, target: smallTarget, rcloneTarget: smallRcloneTarget, perObject: true}}
	if cfg.largeCount > 0 {
		cases = append(cases, benchCase{name: "large", count: cfg.largeCount, size: cfg.largeSize, target: largeTarget})
	}
	if cfg.rclone == "" {
		progress("no rclone: the rclone copy baseline is left out (-rclone PATH)")
	}
	var results []caseResult
	for _, c := range cases {
		r, err := b.runCase(ctx, c)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	report(os.Stdout, cfg, results, start)
	return nil
}

// progress reports what the benchmark is doing on stderr.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "# "+format+"\n", args...)
}
