package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3cmd drives the real s3cmd binary (Debian's package) on its defaults:
// SigV4 signed for bucket_location "US", which Quarry refuses naming
// us-east-1 in <Region>, as AWS does, so that s3cmd signs again for it.
type s3cmd struct {
	t      *testing.T
	bin    string
	config string
	home   string
}

// newS3cmd writes a config holding only what must be set to reach srv
// (keys, host, plain HTTP); everything else is s3cmd's default. It skips t
// when s3cmd is not installed.
func newS3cmd(t *testing.T, srv *server) *s3cmd {
	t.Helper()
	bin, err := exec.LookPath("s3cmd")
	if err != nil {
		t.Skip("s3cmd is not installed (apt-get install -y s3cmd): this test drives the real s3cmd binary")
	}
	home := t.TempDir()
	config := filepath.Join(home, "s3cfg")
	cfg := "[default]\n" +
		"access_key = " + srv.AccessKey + "\n" +
		"secret_key = " + srv.SecretKey + "\n" +
		"host_base = " + srv.S3Addr + "\n" +
		"host_bucket = " + srv.S3Addr + "\n" +
		"use_https = False\n"
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return &s3cmd{t: t, bin: bin, config: config, home: home}
}

// run runs s3cmd with args and returns its stdout; a non-zero exit fails
// the test with what s3cmd printed.
func (c *s3cmd) run(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"-c", c.config}, args...)...)
	// A HOME of its own, so no ~/.s3cfg or AWS_* setting of the machine
	// takes part.
	cmd.Env = []string{"HOME=" + c.home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("s3cmd %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func TestS3cmdOnItsDefaultsMakesListsPutsAndGets(t *testing.T) {
	t.Parallel()
	cmd := newS3cmd(t, sharedSrv)
	sdk := rootClient()
	bucket := bucketName(t)
	dir := t.TempDir()

	cmd.run("mb", "s3://"+bucket)
	if _, err := sdk.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("s3cmd mb succeeded but the bucket is not there: %v", err)
	}
	if out := cmd.run("ls"); !strings.Contains(out, "s3://"+bucket+"\n") {
		t.Fatalf("s3cmd ls does not list %s:\n%s", bucket, out)
	}

	small := []byte("hello from s3cmd\n")
	// Over s3cmd's 5 MiB minimum chunk, so the upload is multipart.
	large := randomBytes(14, 6<<20+123)
	for name, data := range map[string][]byte{"small.txt": small, "large.bin": large} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd.run("put", filepath.Join(dir, "small.txt"), "s3://"+bucket+"/dir/small.txt")
	cmd.run("put", "--multipart-chunk-size-mb=5", filepath.Join(dir, "large.bin"), "s3://"+bucket+"/dir/large.bin")

	if got, _ := mustGet(t, sdk, bucket, "dir/small.txt", ""); !bytes.Equal(got, small) {
		t.Fatalf("the SDK reads %q at dir/small.txt, s3cmd put %q", got, small)
	}
	got, head := mustGet(t, sdk, bucket, "dir/large.bin", "")
	if !bytes.Equal(got, large) {
		t.Fatalf("the SDK reads %d bytes at dir/large.bin, s3cmd put %d", len(got), len(large))
	}
	if etag := aws.ToString(head.ETag); !strings.HasSuffix(etag, `-2"`) {
		t.Errorf("dir/large.bin has ETag %s, want a two-part multipart ETag", etag)
	}

	out := cmd.run("ls", "s3://"+bucket+"/dir/")
	for _, key := range []string{"dir/small.txt", "dir/large.bin"} {
		if !strings.Contains(out, "s3://"+bucket+"/"+key) {
			t.Errorf("s3cmd ls s3://%s/dir/ does not list %s:\n%s", bucket, key, out)
		}
	}

	for name, want := range map[string][]byte{"small.txt": small, "large.bin": large} {
		local := filepath.Join(dir, "got-"+name)
		cmd.run("get", "s3://"+bucket+"/dir/"+name, local)
		if data, err := os.ReadFile(local); err != nil || !bytes.Equal(data, want) {
			t.Errorf("s3cmd get %s: %d bytes (%v), want the %d put", name, len(data), err, len(want))
		}
	}

	cmd.run("del", "s3://"+bucket+"/dir/small.txt", "s3://"+bucket+"/dir/large.bin")
	cmd.run("rb", "s3://"+bucket)
	if _, err := sdk.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		t.Fatal("s3cmd rb succeeded but the bucket is still there")
	}
}
