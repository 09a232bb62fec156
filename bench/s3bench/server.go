package main

import (
	"context"

	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// Credentials the benchmark gives the server it starts, and the peer as its
// root keys. They only ever guard throwaway servers on the loopback
// interface.
const (
	rootUser      = "bench-root"
	rootPassword  = "bench-Root-Passw0rd-2f9c"
	rootAccessKey = "BENCHROOTACCESSKEY01"
	rootSecretKey = "benchRootSecretKey0123456789abcdefghijklm"
)

// startServer runs bin on fresh loopback ports with dataDir and returns once
// it is ready. A debugAddr serves the server's profiler there.
func startServer(ctx context.Context, bin, dataDir, debugAddr string) (*quarryproc.Server, error) {
	var args []string
	if debugAddr != "" {
		args = append(args, "--debug-addr", debugAddr)
	}
	return quarryproc.Start(ctx, quarryproc.Config{
		Name:    "quarry",
		Bin:     bin,
		DataDir: dataDir,
		Root:    quarryproc.Root{User: rootUser, Password: rootPassword, AccessKey: rootAccessKey, SecretKey: rootSecretKey},
		Args:    args,
		Started: func(s *quarryproc.Server) {
			progress("started quarry (pid %d), S3 at %s", s.PID(), s.S3URL)
		},
	})
}
