package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// rcloneCopy is the second baseline: `rclone copy --transfers N` from the
// source bucket to a destination bucket, the two servers configured as
// rclone remotes through its environment (no config file is read or
// written), as a user moving a bucket between two S3 servers would do.
func rcloneCopy(ctx context.Context, bin, srcURL, srcBucket, dstURL, dstBucket string, transfers int) error {
	args := []string{"copy", "src:" + srcBucket, "dst:" + dstBucket,
		"--transfers", strconv.Itoa(transfers),
		// An empty config: the remotes come from the environment alone.
		"--config", os.DevNull,
		"--stats", "0", "--log-level", "ERROR"}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(environWithoutAWS(), rcloneRemote("SRC", srcURL)...)
	cmd.Env = append(cmd.Env, rcloneRemote("DST", dstURL)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w; its output:\n%s", bin, strings.Join(args, " "), err, out.String())
	}
	return nil
}

// environWithoutAWS is this process's environment less the AWS_*
// variables: rclone's S3 backend reads them (AWS_CA_BUNDLE makes it fail
// to build its HTTP client, AWS_PROFILE could pick other keys), and the
// remotes are fully described by the RCLONE_CONFIG_* variables.
func environWithoutAWS() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// rcloneRemote is the environment that defines the rclone remote name
// (SRC, DST) as the S3 server at endpoint with the benchmark's root keys.
func rcloneRemote(name, endpoint string) []string {
	p := "RCLONE_CONFIG_" + name + "_"
	return []string{
		p + "TYPE=s3",
		p + "PROVIDER=Other",
		p + "ENDPOINT=" + endpoint,
		p + "ACCESS_KEY_ID=" + rootAccessKey,
		p + "SECRET_ACCESS_KEY=" + rootSecretKey,
		p + "REGION=" + region,
		p + "FORCE_PATH_STYLE=true",
	}
}

// countObjects is how many objects bucket lists: every copy must end with
// all of them in place, or its time measures nothing.
func countObjects(ctx context.Context, c *s3.Client, bucket string) (int, error) {
	n := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("list %s: %w", bucket, err)
		}
		n += len(page.Contents)
	}
	return n, nil
}

// checkCopied fails unless bucket holds want objects.
func checkCopied(ctx context.Context, c *s3.Client, what, bucket string, want int) error {
	n, err := countObjects(ctx, c, bucket)
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("%s: destination bucket %s holds %d objects, want %d", what, bucket, n, want)
	}
	return nil
}
