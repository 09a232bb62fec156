// Command componentbench measures what keeping object data on an S3
// storage component costs against the local disk: PUT and GET of large
// (64 MiB) and small (4 KiB) objects through a Quarry on local disk and
// through a Quarry whose --blob is a bucket of a third Quarry (the
// component, on local disk), in the same run, alternating the two so that
// a machine busy for a moment slows both. It prints each side's best rate
// over the repetitions and the ratio component / disk.
//
//	go run ./bench/componentbench [-large-count 8] [-small-count 2000] [-reps 3] [-part-size 16MiB] [-json results.json]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
	"github.com/quarrylabs/quarry/bench/internal/pairbench"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// config is the parsed command line.
type config struct {
	bin      string
	dir      string
	load     pairbench.Load
	jsonOut  string
	keep     bool
	timeout  time.Duration
	partSize string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("componentbench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "where to make the throwaway data directory")
	c.load.RegisterFlags(fs)
	fs.StringVar(&c.jsonOut, "json", "", "also write the figures as JSON to this file")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directory")
	fs.StringVar(&c.partSize, "part-size", "16MiB", "part size of the component's multipart uploads")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, c.load.Check()
}

func main() { benchcmd.Main("componentbench", parseFlags, run) }

// dataBucket is the bucket written on both sides; componentBucket the
// component's bucket, which holds the front's blobs.
const (
	dataBucket      = "data"
	componentBucket = "component"
)

func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()
	work, err := benchcmd.MakeWorkDir(cfg.dir, "quarry-componentbench-", cfg.keep, note)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, work.Close)
	bin, err := quarryproc.Binary(ctx, cfg.bin, work.Path, progress)
	if err != nil {
		return err
	}
	root := quarryproc.BenchRoot()
	start := func(name, dir string, env ...string) (*quarryproc.Server, error) {
		return quarryproc.Start(ctx, quarryproc.Config{
			Name: name, Bin: bin, DataDir: filepath.Join(work.Path, dir), Root: root, Env: env,
			Started: func(s *quarryproc.Server) { progress("started %s (pid %d), S3 at %s", name, s.PID(), s.S3URL) },
		})
	}
	disk, err := start("the quarry on local disk", "disk")
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, disk.Stop)
	backend, err := start("the component quarry", "component")
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, backend.Stop)
	conc := max(cfg.load.LargeConc, cfg.load.SmallConc)
	if err := createBucket(ctx, pairbench.NewClient(backend.S3URL, root.AccessKey, root.SecretKey, 1), componentBucket); err != nil {
		return err
	}
	front, err := start("the quarry on the component", "front",
		"QUARRY_BLOB=s3://"+componentBucket+"?endpoint="+backend.S3URL+"&part_size="+cfg.partSize,
		"QUARRY_BLOB_ACCESS_KEY="+root.AccessKey, "QUARRY_BLOB_SECRET_KEY="+root.SecretKey)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, front.Stop)

	sides := [2]pairbench.Side{
		{Name: "local disk", Client: pairbench.NewClient(disk.S3URL, root.AccessKey, root.SecretKey, conc), Bucket: dataBucket},
		{Name: "S3 component", Client: pairbench.NewClient(front.S3URL, root.AccessKey, root.SecretKey, conc), Bucket: dataBucket},
	}
	for _, side := range sides {
		if err := createBucket(ctx, side.Client, side.Bucket); err != nil {
			return err
		}
	}
	res := pairbench.Results{Command: "componentbench", Started: time.Now().UTC(), LoadStart: benchcmd.LoadAverage("unknown"),
		Load: cfg.load, A: sides[0].Name, B: sides[1].Name}
	if res.Rows, err = pairbench.Measure(ctx, cfg.load, sides[0], sides[1], progress); err != nil {
		return err
	}
	res.LoadEnd = benchcmd.LoadAverage("unknown")
	res.Print(os.Stdout)
	return res.WriteJSON(cfg.jsonOut)
}

func createBucket(ctx context.Context, client *s3.Client, name string) error {
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

func progress(format string, args ...any) { fmt.Fprintf(os.Stderr, "# "+format+"\n", args...) }

func note(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "componentbench: "+format+"\n", args...)
}
