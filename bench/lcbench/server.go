package main

import (
	"context"

	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// Credentials of the throwaway server; it only listens on loopback.
const (
	rootUser      = "bench-root"
	rootPassword  = "bench-Root-Passw0rd-9c42"
	rootAccessKey = "BENCHROOTACCESSKEY08"
	rootSecretKey = "benchRootSecretKey0123456789abcdefghijkl8"
	region        = "us-east-1"
)

// startServer runs bin on free loopback ports with dataDir and the extra
// flags args, and returns once it is ready.
func startServer(ctx context.Context, bin, dataDir string, args []string) (*quarryproc.Server, error) {
	return quarryproc.Start(ctx, quarryproc.Config{
		Name:    "quarry",
		Bin:     bin,
		DataDir: dataDir,
		Root:    quarryproc.Root{User: rootUser, Password: rootPassword, AccessKey: rootAccessKey, SecretKey: rootSecretKey},
		Region:  region,
		Args:    args,
		Started: func(s *quarryproc.Server) {
			progress("started quarry (pid %d), S3 at %s, MAPI at %s", s.PID(), s.S3URL, s.MAPIURL)
		},
	})
}
