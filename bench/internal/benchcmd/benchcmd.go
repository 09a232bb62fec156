// Package benchcmd is the scaffolding the benchmark commands share around
// their measurements: exit codes, signal handling, the throwaway work
// directory, releasing resources without losing the first error, and the
// load average that tells a reader how busy the machine was.
package benchcmd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Main parses the command line with parse and runs the benchmark with run,
// printing an error prefixed with the command's name. It exits 2 for a bad
// command line, as the flag package does, and 1 for a failed run, so that
// scripts can tell the two apart.
func Main[C any](name string, parse func(args []string) (C, error), run func(C) error) {
	cfg, err := parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// Context is the context of a whole run: cancelled by SIGINT or SIGTERM,
// so that the run's deferred cleanups still stop the servers and remove
// the data, and by timeout, so that a stuck run ends.
func Context(timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, func() {
		cancel()
		stopSignals()
	}
}

// Release runs release and keeps its error in *errp unless *errp already
// holds one: the error that ended a run is the one worth reading, and a
// cleanup failing after a good run must still fail it. Meant for defer:
//
//	defer benchcmd.Release(&err, srv.Stop)
func Release(errp *error, release func() error) {
	if err := release(); err != nil && *errp == nil {
		*errp = err
	}
}
