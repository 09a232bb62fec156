package main

import (
	"context"

	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// Credentials of the throwaway server; it only listens on loopback.
const (
	rootUser      = "bench-root"
	rootPassword  = "bench-Root-Passw0rd-9c44"
	rootAccessKey = "BENCHROOTACCESSKEY09"
	rootSecretKey = "benchRootSecretKey0123456789abcdefghijkl9"
	region        = "us-east-1"
)

// startServer runs bin on fresh loopback ports with dataDir and returns
// once it is ready.
func startServer(ctx context.Context, bin, dataDir string) (*quarryproc.Server, error) {
	return quarryproc.Start(ctx, quarryproc.Config{
		Name:    "quarry",
		Bin:     bin,
		DataDir: dataDir,
		Root:    quarryproc.Root{User: rootUser, Password: rootPassword, AccessKey: rootAccessKey, SecretKey: rootSecretKey},
		Region:  region,
		Started: func(s *quarryproc.Server) {
			progress("started quarry (pid %d), MAPI at %s", s.PID(), s.MAPIURL)
		},
	})
}
