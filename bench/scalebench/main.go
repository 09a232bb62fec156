// Command scalebench measures what Quarry's metadata store and its number
// of nodes do to its throughput, in one run:
//
//  1. One node on SQLite against one node on PostgreSQL, both keeping
//     object data on local disk: S3 PUT and GET of 4 KiB objects from
//     -clients concurrent clients for -duration each, and a
//     METRIC_RECONCILIATION of a bucket of -objects versions.
//  2. One node against -nodes nodes over one PostgreSQL database, the nodes
//     keeping object data in a storage component (a bucket of another
//     Quarry process on local disk) and sharing one key file: the same PUT
//     and GET with the clients spread round-robin over the nodes, and the
//     reconciliation of -objects versions split over -nodes buckets, one
//     job created on each node.
//
// For each measurement it prints the CPU seconds every process used (each
// node, the component, PostgreSQL's processes, the benchmark's own
// clients) and the write transactions PostgreSQL committed, so that the
// figures say which process limits them.
//
// Objects up to the server's --inline-max (128 KiB by default) are kept in
// the metadata store, so with the defaults the 4 KiB PUTs and GETs measure
// the metadata store and never touch the blob store; -inline-max 0 puts
// every body in the blob store (the local disk or the component).
//
//	go run ./bench/scalebench [-objects 20000] [-duration 5s] [-clients 16] [-nodes 3] [-pg DSN] [-bin ./quarry] [-inline-max N] [-json out.json]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
)

// config is the parsed command line.
type config struct {
	bin       string
	dir       string
	pg        string
	skipPG    bool
	objects   int
	seedBatch int
	reconReps int
	duration  time.Duration
	clients   int
	nodes     int
	inlineMax int64
	jsonOut   string
	keep      bool
	timeout   time.Duration
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("scalebench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "where to make the throwaway data directory")
	fs.StringVar(&c.pg, "pg", "", "connection string of an existing PostgreSQL server whose user may create databases (default: start a throwaway one)")
	fs.BoolVar(&c.skipPG, "skip-pg", false, "measure the SQLite node only (no PostgreSQL)")
	fs.IntVar(&c.objects, "objects", 20_000, "versions seeded for each reconciliation")
	fs.IntVar(&c.seedBatch, "seed-batch", 10_000, "versions per seeding transaction")
	fs.IntVar(&c.reconReps, "recon-reps", 3, "reconciliations of the same buckets; the fastest is reported")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "how long each PUT and GET measurement runs")
	fs.IntVar(&c.clients, "clients", 16, "concurrent S3 clients")
	fs.IntVar(&c.nodes, "nodes", 3, "nodes of the scale-out measurement")
	fs.Int64Var(&c.inlineMax, "inline-max", -1, "the nodes' --inline-max: objects up to this size are kept in the metadata store (-1: the server's default, 0: every object in the blob store)")
	fs.StringVar(&c.jsonOut, "json", "", "also write the figures as JSON to this file")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directory")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.objects < 1 || c.seedBatch < 1 || c.reconReps < 1 || c.clients < 1 || c.duration <= 0 {
		return c, errors.New("-objects, -seed-batch, -recon-reps, -clients and -duration must be positive")
	}
	if c.nodes < 2 {
		return c, errors.New("-nodes must be at least 2: the scale-out run compares it with one node")
	}
	if c.objects < c.nodes {
		return c, errors.New("-objects must be at least -nodes: the scale-out reconciliation gives each node a bucket")
	}
	if c.inlineMax < -1 {
		return c, errors.New("-inline-max must be -1 (the server's default), 0 or a size")
	}
	if c.pg != "" && c.skipPG {
		return c, errors.New("-pg and -skip-pg contradict each other")
	}
	return c, nil
}

func main() { benchcmd.Main("scalebench", parseFlags, run) }

// progress reports what the benchmark is doing on stderr; the figures go
// to stdout.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scalebench: "+format+"\n", args...)
}
