package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// config is everything the command line can set.
type config struct {
	bin        string
	dir        string
	jsonPath   string
	cpuProfile string
	keep       bool
	timeout    time.Duration
	// peer, when set, is a second server (MinIO) measured in the same run.
	peer *peerSpec
	// serverProfile, when set, gets a CPU profile of the quarry server
	// taken during the small PUTs at the highest concurrency.
	serverProfile string

	reps   int
	large  sizeCase
	medium sizeCase

	smallSize  int64
	smallConcs []int
	listKeys   int
	dur        time.Duration
	opsCount   int
}

// sizeCase is one throughput measurement: count objects of size bytes,
// repeated at each concurrency.
type sizeCase struct {
	size  int64
	count int
	concs []int
}

func parseFlags(args []string) (config, error) {
	cfg := config{
		large:      sizeCase{size: 64 << 20, count: 8, concs: []int{1, 4}},
		medium:     sizeCase{size: 1 << 20, count: 200, concs: []int{1, 8}},
		smallSize:  4 << 10,
		smallConcs: []int{1, 16},
	}
	fs := flag.NewFlagSet("s3bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry from the module root)")
	fs.StringVar(&cfg.dir, "dir", "", "parent directory for the server data and baseline files (default: os.TempDir())")
	fs.StringVar(&cfg.jsonPath, "json", "", "also write the results as JSON to this file (- for stdout)")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the benchmark client to this file")
	fs.Func("peer", "also measure this server in the same run: minio=PATH to a minio binary", func(v string) error {
		spec, err := parsePeer(v)
		if err != nil {
			return err
		}
		cfg.peer = &spec
		return nil
	})
	fs.StringVar(&cfg.serverProfile, "server-profile", "", "write a CPU profile of the quarry server during the small PUTs at the highest concurrency to this file")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the work directory instead of removing it")
	fs.DurationVar(&cfg.timeout, "timeout", benchTimeout, "abort the whole run after this long")
	fs.IntVar(&cfg.reps, "reps", 2, "repetitions of each throughput measurement; each side's best is reported")
	fs.Func("large-size", "size of large objects (e.g. 64MiB)", sizeFlag(&cfg.large.size))
	fs.IntVar(&cfg.large.count, "large-count", cfg.large.count, "number of large objects per run")
	fs.Func("large-conc", "concurrency levels for large objects, comma-separated (default 1,4)", concFlag(&cfg.large.concs))
	fs.Func("medium-size", "size of medium objects (e.g. 1MiB)", sizeFlag(&cfg.medium.size))
	fs.IntVar(&cfg.medium.count, "medium-count", cfg.medium.count, "number of medium objects per run")
	fs.Func("medium-conc", "concurrency levels for medium objects (default 1,8)", concFlag(&cfg.medium.concs))
	fs.Func("small-size", "size of small objects for the operation rates (default 4KiB)", sizeFlag(&cfg.smallSize))
	fs.Func("small-conc", "concurrency levels for small-object operations (default 1,16)", concFlag(&cfg.smallConcs))
	fs.IntVar(&cfg.listKeys, "list-keys", 1000, "keys under the prefix that LIST pages through (a multiple of 100)")
	fs.DurationVar(&cfg.dur, "dur", 5*time.Second, "how long each small-object operation is measured")
	fs.IntVar(&cfg.opsCount, "ops", 0, "measure each small-object operation for this many operations instead of -dur")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(nil)
			fs.PrintDefaults()
		}
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return cfg, cfg.validate()
}

func (c config) validate() error {
	switch {
	case c.large.size <= 0 || c.medium.size <= 0 || c.smallSize <= 0:
		return errors.New("sizes must be positive")
	case c.reps <= 0 || c.reps > 100:
		return errors.New("-reps must be from 1 to 100")
	case c.large.count <= 0 || c.medium.count <= 0:
		return errors.New("object counts must be positive")
	case c.listKeys < listPage || c.listKeys%listPage != 0:
		return fmt.Errorf("-list-keys %d: want a positive multiple of %d", c.listKeys, listPage)
	case c.dur <= 0 && c.opsCount <= 0:
		return errors.New("-dur or -ops must be positive")
	case c.opsCount < 0:
		return errors.New("-ops must not be negative")
	case c.timeout <= 0:
		return errors.New("-timeout must be positive")
	}
	return nil
}

// maxConcurrency is the widest fan-out any measurement uses; the HTTP
// transport keeps that many idle connections so none is re-dialled.
func (c config) maxConcurrency() int {
	m := 1
	for _, list := range [][]int{c.large.concs, c.medium.concs, c.smallConcs} {
		for _, n := range list {
			m = max(m, n)
		}
	}
	return m
}

// maxSmallConc is the highest concurrency of the small-object operations.
func (c config) maxSmallConc() int {
	m := 0
	for _, n := range c.smallConcs {
		m = max(m, n)
	}
	return m
}

func sizeFlag(dst *int64) func(string) error {
	return func(s string) error {
		n, err := parseSize(s)
		if err != nil {
			return err
		}
		*dst = n
		return nil
	}
}

func concFlag(dst *[]int) func(string) error {
	return func(s string) error {
		list, err := parseConcs(s)
		if err != nil {
			return err
		}
		*dst = list
		return nil
	}
}

// parseSize reads a byte count with an optional binary suffix: 4096, 4KiB,
// 64MiB, 1GiB (KB/MB/GB and K/M/G are read as binary too).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{
		{"kib", 10}, {"mib", 20}, {"gib", 30},
		{"kb", 10}, {"mb", 20}, {"gb", 30},
		{"k", 10}, {"m", 20}, {"g", 30},
		{"b", 0},
	}
	num, shift := strings.ToLower(strings.TrimSpace(s)), uint(0)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, shift = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)>>shift {
		return 0, fmt.Errorf("size %q: want a positive number of bytes such as 4096, 4KiB or 64MiB", s)
	}
	return n << shift, nil
}

// parseConcs reads a comma-separated list of positive concurrency levels.
func parseConcs(s string) ([]int, error) {
	var out []int
	for field := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n <= 0 || n > 1024 {
			return nil, fmt.Errorf("concurrency list %q: want numbers from 1 to 1024 separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}
