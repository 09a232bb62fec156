package main

import (
	"context"

	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// Credentials the benchmark gives the server it starts. They only ever guard
// a throwaway server on the loopback interface.
const (
	rootUser      = "bench-root"
	rootPassword  = "bench-Root-Passw0rd-2f9c"
	rootAccessKey = "BENCHROOTACCESSKEY01"
	rootSecretKey = "benchRootSecretKey0123456789abcdefghijklm"
)

// startServer runs bin on fresh loopback ports with dataDir and returns once
// it is ready.
func startServer(ctx context.Context, bin, dataDir string) (*quarryproc.Server, error) {
	return quarryproc.Start(ctx, quarryproc.Config{
		Name:    "quarry",
		Bin:     bin,
		DataDir: dataDir,
		Root:    quarryproc.Root{User: rootUser, Password: rootPassword, AccessKey: rootAccessKey, SecretKey: rootSecretKey},
		Started: func(s *quarryproc.Server) {
			progress("started quarry (pid %d), S3 at %s", s.PID(), s.S3URL)
		},
	})
}
