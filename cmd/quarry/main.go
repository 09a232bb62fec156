// Command quarry is Quarry's single binary: the server and, as they are
// built, the management commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "quarry:", err)
		os.Exit(exitCode(err))
	}
}

// exitCode is 1, or the status an error asks for (job watch: 2 when the
// job ended FAILED or CANCELLED).
func exitCode(err error) int {
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return 1
}
