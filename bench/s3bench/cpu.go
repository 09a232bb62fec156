package main

import (
	"time"

	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// cpuSample is a point-in-time reading of the CPU used by the server and by
// this program.
type cpuSample struct {
	at             time.Time
	server, client time.Duration
	ok             bool
}

func sampleCPU(serverPID int) cpuSample {
	s, okServer := quarryproc.ProcessCPU(serverPID)
	c, okClient := selfCPU()
	return cpuSample{at: time.Now(), server: s, client: c, ok: okServer && okClient}
}

// coresSince returns the average cores used by server and client between
// earlier and s.
func (s cpuSample) coresSince(earlier cpuSample) (server, client float64) {
	wall := s.at.Sub(earlier.at).Seconds()
	if !s.ok || !earlier.ok || wall <= 0 {
		return 0, 0
	}
	return (s.server - earlier.server).Seconds() / wall, (s.client - earlier.client).Seconds() / wall
}
