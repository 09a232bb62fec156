// Command ssebench measures what server-side encryption at rest costs: PUT
// and GET of large (64 MiB) and small (4 KiB) objects into a bucket without
// encryption and into one whose default encryption is SSE-S3 (AES256), in
// the same run against the same server, alternating the two so that a
// machine busy for a moment slows both. It prints each side's best rate
// over the repetitions and the ratio encrypted / plain.
//
//	go run ./bench/ssebench [-large-count 8] [-small-count 2000] [-reps 3] [-json results.json]
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
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/quarrylabs/quarry/bench/internal/benchcmd"
	"github.com/quarrylabs/quarry/bench/internal/pairbench"
	"github.com/quarrylabs/quarry/bench/internal/quarryproc"
)

// config is the parsed command line.
type config struct {
	bin     string
	dir     string
	load    pairbench.Load
	jsonOut string
	keep    bool
	timeout time.Duration
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("ssebench", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "", "quarry binary to run (default: build ./cmd/quarry)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "where to make the throwaway data directory")
	c.load.RegisterFlags(fs)
	fs.StringVar(&c.jsonOut, "json", "", "also write the figures as JSON to this file")
	fs.BoolVar(&c.keep, "keep", false, "keep the data directory")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, c.load.Check()
}

func main() { benchcmd.Main("ssebench", parseFlags, run) }

// The two buckets: the same server, the same data, one difference.
const (
	plainBucket  = "plain"
	sealedBucket = "sealed"
)

func run(cfg config) (err error) {
	ctx, cancel := benchcmd.Context(cfg.timeout)
	defer cancel()
	work, err := benchcmd.MakeWorkDir(cfg.dir, "quarry-ssebench-", cfg.keep, note)
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, work.Close)
	bin, err := quarryproc.Binary(ctx, cfg.bin, work.Path, progress)
	if err != nil {
		return err
	}
	root := quarryproc.BenchRoot()
	srv, err := quarryproc.Start(ctx, quarryproc.Config{
		Name: "quarry", Bin: bin, DataDir: filepath.Join(work.Path, "data"), Root: root,
		Started: func(s *quarryproc.Server) { progress("started quarry (pid %d), S3 at %s", s.PID(), s.S3URL) },
	})
	if err != nil {
		return err
	}
	defer benchcmd.Release(&err, srv.Stop)

	client := pairbench.NewClient(srv.S3URL, root.AccessKey, root.SecretKey, max(cfg.load.LargeConc, cfg.load.SmallConc))
	if err := makeBuckets(ctx, client); err != nil {
		return err
	}
	res := pairbench.Results{Command: "ssebench", Started: time.Now().UTC(), LoadStart: benchcmd.LoadAverage("unknown"),
		Load: cfg.load, A: "plain", B: "SSE-S3"}
	res.Rows, err = pairbench.Measure(ctx, cfg.load,
		pairbench.Side{Name: "plain", Client: client, Bucket: plainBucket},
		pairbench.Side{Name: "SSE-S3", Client: client, Bucket: sealedBucket}, progress)
	if err != nil {
		return err
	}
	if err := checkEncrypted(ctx, client, cfg.load.LargeSize); err != nil {
		return err
	}
	res.LoadEnd = benchcmd.LoadAverage("unknown")
	res.Print(os.Stdout)
	return res.WriteJSON(cfg.jsonOut)
}

// makeBuckets makes the plain bucket and the sealed one, whose default
// encryption is SSE-S3.
func makeBuckets(ctx context.Context, client *s3.Client) error {
	for _, name := range []string{plainBucket, sealedBucket} {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	_, err := client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(sealedBucket),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
	if err != nil {
		return fmt.Errorf("set the default encryption of %s: %w", sealedBucket, err)
	}
	return nil
}

// checkEncrypted makes sure the sealed side was what it says.
func checkEncrypted(ctx context.Context, client *s3.Client, size int64) error {
	for bucket, want := range map[string]types.ServerSideEncryption{plainBucket: "", sealedBucket: types.ServerSideEncryptionAes256} {
		out, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(pairbench.Key(size, 0))})
		if err != nil {
			return fmt.Errorf("head %s: %w", bucket, err)
		}
		if out.ServerSideEncryption != want {
			return fmt.Errorf("objects in %s are stored with encryption %q, want %q", bucket, out.ServerSideEncryption, want)
		}
	}
	return nil
}

func progress(format string, args ...any) { fmt.Fprintf(os.Stderr, "# "+format+"\n", args...) }

func note(format string, args ...any) { fmt.Fprintf(os.Stderr, "ssebench: "+format+"\n", args...) }
