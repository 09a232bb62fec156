package benchcmd

import (
	"os"
	"strings"
)

// LoadAverage is the 1, 5 and 15 minute load averages from /proc/loadavg,
// or unknown where they cannot be read (off Linux). The benchmarks print
// it at the start and end of a run: on a shared machine, how much else ran
// and so how far the figures can be trusted.
func LoadAverage(unknown string) string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return unknown
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return unknown
	}
	return strings.Join(f[:3], " ")
}
