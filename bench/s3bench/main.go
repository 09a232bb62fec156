// Command s3bench measures Quarry's S3 API against a baseline taken in the
// same run on the same filesystem: plain files written with fsync and read
// back. It builds (or is given) the quarry binary, starts a server on a
// throwaway data directory, measures large-object throughput and small-object
// operation rates, stops the server, removes the directory and prints a table
// of figures and ratios.
//
//	go run ./bench/s3bench [-dur 5s] [-json results.json]
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

func main() { benchcmd.Main("s3bench", parseFlags, run) }

// run owns every resource of one benchmark run and releases them in reverse
// order whatever happens: profile, work dir, server, peer.
func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()

	if cfg.cpuProfile != "" {
		stopProfile, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}

	workDir, err := makeWorkDir(cfg.dir, cfg.keep)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, workDir.Close)

	bin, err := quarryproc.Binary(ctx, cfg.bin, workDir.Path, progress)
	if err != nil {
		return err
	}

	res := Results{Machine: describeMachine(workDir.Path)}
	printHeader(os.Stdout, res.Machine)

	var debugAddr string
	if cfg.serverProfile != "" {
		if debugAddr, err = freeLoopbackAddr(); err != nil {
			return err
		}
	}
	srv, err := startServer(ctx, bin, filepath.Join(workDir.Path, "quarry-data"), debugAddr)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, srv.Stop)

	var peer *peerProc
	if cfg.peer != nil {
		if peer, err = startPeer(ctx, *cfg.peer, filepath.Join(workDir.Path, cfg.peer.kind+"-data")); err != nil {
			return err
		}
		defer benchcmd.Release(&err, peer.stop)
		res.Peer = cfg.peer.kind
	}

	b, err := newBench(ctx, cfg, srv, peer, filepath.Join(workDir.Path, "baseline"))
	if err != nil {
		return err
	}
	b.debugAddr = debugAddr
	if res.Throughput, err = b.runThroughput(ctx); err != nil {
		return err
	}
	if res.Ops, err = b.runOps(ctx); err != nil {
		return err
	}
	res.Summary = summarize(res)
	res.Machine.LoadEnd = loadAverage()

	printResults(os.Stdout, res)
	if cfg.jsonPath != "" {
		if err := writeJSON(cfg.jsonPath, res); err != nil {
			return err
		}
	}
	if failed := countFailures(res); failed > 0 {
		return fmt.Errorf("%d measurement(s) had errors; see the table", failed)
	}
	return nil
}

// makeWorkDir creates a fresh directory for the server's data and the
// baseline files, so both live on the same filesystem. Unlike the other
// benchmarks, s3bench creates a missing -dir: it is meant to be pointed at
// the filesystem under test.
func makeWorkDir(parent string, keep bool) (*benchcmd.WorkDir, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, fmt.Errorf("create -dir %s: %w", parent, err)
		}
	}
	return benchcmd.MakeWorkDir(parent, "quarry-bench-", keep, note)
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// progress reports what the benchmark is doing, on stderr so that stdout
// carries only the report.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "# "+format+"\n", args...)
}

// note tells the user something about the run as a whole (where a kept
// work directory is) on stderr, named like the command's errors rather
// than as a progress line.
func note(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "s3bench: "+format+"\n", args...)
}

// benchTimeout bounds the whole run by default; a run that takes longer is
// stuck, not slow.
const benchTimeout = 20 * time.Minute
