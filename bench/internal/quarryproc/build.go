// Package quarryproc runs the quarry binary for the benchmarks: it builds
// ./cmd/quarry, starts `quarry server` as a child process on free loopback
// ports with a throwaway data directory, waits until it answers, stops it
// with SIGTERM as an operator would, and reads the CPU time it used.
//
// The benchmarks measure a real server process, not an in-process handler,
// so that what they report includes everything a deployment pays for.
package quarryproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binary returns the quarry binary to run: bin when the user named one
// (every benchmark's -bin flag), otherwise one built into dir. progress
// says what is being built, as building takes a while.
func Binary(ctx context.Context, bin, dir string, progress func(format string, args ...any)) (string, error) {
	if bin != "" {
		return bin, nil
	}
	return Build(ctx, dir, progress)
}

// Build compiles ./cmd/quarry of the module enclosing the working
// directory into dir and returns the binary's path.
func Build(ctx context.Context, dir string, progress func(format string, args ...any)) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "quarry")
	progress("building %s/cmd/quarry", root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/quarry")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build quarry (or pass -bin): %w", err)
	}
	return bin, nil
}

// moduleRoot walks up from the working directory to the go.mod, so that a
// benchmark can be run from anywhere in the repository.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory; run from the repository or pass -bin")
		}
		dir = parent
	}
}
