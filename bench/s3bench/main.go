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
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3bench:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "s3bench:", err)
		os.Exit(1)
	}
}

// run owns every resource of one benchmark run and releases them in reverse
// order whatever happens: profile, work dir, server.
func run(cfg config) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	if cfg.cpuProfile != "" {
		stopProfile, err := startCPUProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}

	workDir, err := makeWorkDir(cfg.dir)
	if err != nil {
		return err
	}
	defer func() {
		if cfg.keep {
			fmt.Fprintln(os.Stderr, "s3bench: kept", workDir)
			return
		}
		if rmErr := os.RemoveAll(workDir); rmErr != nil && err == nil {
			err = fmt.Errorf("remove work dir: %w", rmErr)
		}
	}()

	bin := cfg.bin
	if bin == "" {
		if bin, err = buildQuarry(ctx, workDir); err != nil {
			return err
		}
	}

	res := Results{Machine: describeMachine(workDir)}
	printHeader(os.Stdout, res.Machine)

	srv, err := startServer(ctx, bin, filepath.Join(workDir, "quarry-data"))
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := srv.stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()

	b, err := newBench(ctx, cfg, srv, filepath.Join(workDir, "baseline"))
	if err != nil {
		return err
	}
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
// baseline files, so both live on the same filesystem.
func makeWorkDir(parent string) (string, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return "", fmt.Errorf("create -dir %s: %w", parent, err)
		}
	}
	dir, err := os.MkdirTemp(parent, "quarry-bench-")
	if err != nil {
		return "", fmt.Errorf("create work dir: %w", err)
	}
	return dir, nil
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

// benchTimeout bounds the whole run by default; a run that takes longer is
// stuck, not slow.
const benchTimeout = 20 * time.Minute
