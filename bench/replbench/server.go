package main

import (
	"context"

	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// Credentials of the two throwaway servers; they only listen on loopback.
// Both get the same root keys, as the replication target of the source
// uses the destination's root keys.
const (
	rootUser      = "bench-root"
	rootPassword  = "bench-Root-Passw0rd-4e17"
	rootAccessKey = "BENCHROOTACCESSKEY05"
	rootSecretKey = "benchRootSecretKey0123456789abcdefghijkl5"
	region        = "us-east-1"
)

// startServer runs bin on fresh loopback ports with dataDir as the name
// ("source" or "destination") quarry and returns once it is ready.
func startServer(ctx context.Context, name, bin, dataDir string) (*quarryproc.Server, error) {
	return quarryproc.Start(ctx, quarryproc.Config{
		Name:    "the " + name + " quarry",
		Bin:     bin,
		DataDir: dataDir,
		Root:    quarryproc.Root{User: rootUser, Password: rootPassword, AccessKey: rootAccessKey, SecretKey: rootSecretKey},
		Region:  region,
		// s3Requests scrapes both servers' /metrics.
		MetricsPublic: true,
		Started: func(s *quarryproc.Server) {
			progress("started the %s quarry (pid %d), S3 at %s", name, s.PID(), s.S3URL)
		},
	})
}
