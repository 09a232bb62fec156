package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// cliTarget is a replication target as the CLI prints it in JSON.
type cliTarget struct {
	ARN      string `json:"arn"`
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
	Bucket   string `json:"bucket"`
}

// addTarget runs target replication add with the secret on stdin (and
// extra flags) and returns the new target.
func (h *cliHome) addTarget(name string, dest *server, bucket, secret string, extra ...string) cliTarget {
	h.t.Helper()
	res := h.runAddTarget(name, dest, bucket, secret, extra...)
	if res.code != 0 {
		h.t.Fatalf("quarry target replication add %s: %s", name, res)
	}
	if strings.Contains(res.stdout+res.stderr, secret) {
		h.t.Fatalf("target replication add printed the secret key: %s", res)
	}
	var out struct {
		Target cliTarget `json:"target"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		h.t.Fatalf("target replication add --output json: %v\n%s", err, res.stdout)
	}
	return out.Target
}

// runAddTarget runs target replication add with the secret on stdin.
func (h *cliHome) runAddTarget(name string, dest *server, bucket, secret string, extra ...string) cliResult {
	h.t.Helper()
	args := []string{"target", "replication", "add", "--name", name, "--endpoint", dest.S3URL,
		"--bucket", bucket, "--region", testRegion, "--access-key", dest.AccessKey, "--secret-key-stdin", "--output", "json"}
	return h.run(secret+"\n", nil, append(args, extra...)...)
}

// targetNames lists the names of the targets h may use.
func (h *cliHome) targetNames() map[string]bool {
	h.t.Helper()
	var listed struct {
		Targets []cliTarget `json:"targets"`
	}
	h.jsonOf(&listed, "target", "replication", "list")
	names := map[string]bool{}
	for _, tg := range listed.Targets {
		names[tg.Name] = true
	}
	return names
}

func TestCLIManagesReplicationTargetsOnASecondServer(t *testing.T) {
	dest := startServer(t, serverOptions{})
	bucket := bucketName(t)
	destClient := s3Client(dest.S3URL, dest.AccessKey, dest.SecretKey)
	if _, err := destClient.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %s on the destination: %v", bucket, err)
	}
	admin := newCLIHome(t, sharedSrv)
	admin.login(rootUser, rootPassword)

	good := admin.addTarget(bucket+"-good", dest, bucket, dest.SecretKey)
	if !strings.HasPrefix(good.ARN, "arn:quarry:replication:") || good.Name != bucket+"-good" ||
		good.Endpoint != dest.S3URL || good.Bucket != bucket || good.Region != testRegion {
		t.Fatalf("added target = %+v", good)
	}
	wrongSecret := strings.Repeat("x", len(dest.SecretKey))
	// Kept untested on request, with a warning.
	var bad cliTarget
	{
		res := admin.runAddTarget(bucket+"-bad", dest, bucket, wrongSecret, "--no-test")
		if res.code != 0 || !strings.Contains(res.stderr, "was not tested") {
			t.Fatalf("add --no-test of a target with a wrong secret: want exit 0 and a warning; %s", res)
		}
		var out struct {
			Target cliTarget `json:"target"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
			t.Fatalf("add --no-test --output json: %v\n%s", err, res.stdout)
		}
		bad = out.Target
	}

	var listed struct {
		Targets []cliTarget `json:"targets"`
	}
	admin.jsonOf(&listed, "target", "replication", "list")
	found := map[string]cliTarget{}
	for _, tg := range listed.Targets {
		found[tg.ARN] = tg
	}
	if found[good.ARN] != good || found[bad.ARN] != bad {
		t.Fatalf("target replication list = %+v, want %+v and %+v among them", listed.Targets, good, bad)
	}
	table := admin.ok("target", "replication", "list")
	if !strings.Contains(table.stdout, "ARN") || !strings.Contains(table.stdout, good.ARN) || !strings.Contains(table.stdout, bad.Name) {
		t.Errorf("target replication list table:\n%s", table.stdout)
	}
	if strings.Contains(table.stdout, dest.SecretKey) || strings.Contains(table.stdout, wrongSecret) {
		t.Fatal("target replication list printed a secret key")
	}

	if res := admin.ok("target", "replication", "test", good.ARN); res.stdout != "ok\n" {
		t.Errorf("test of a good target: want stdout \"ok\"; %s", res)
	}
	res := admin.run("", nil, "target", "replication", "test", bad.ARN)
	line := strings.TrimSuffix(res.stderr, "\n")
	if res.code != 1 || res.stdout != "" || !strings.HasPrefix(line, "quarry: replication target test failed: ") ||
		len(line) <= len("quarry: replication target test failed: ") || strings.Contains(line, "\n") {
		t.Errorf("test of a target with a wrong secret: want exit 1 and the server's reason on one line; %s", res)
	}
	if strings.Contains(res.stderr, wrongSecret) {
		t.Fatal("the failed test printed the secret key")
	}

	// rm takes a name or an ARN, and says the ARN it removed.
	for _, arg := range []string{good.ARN, bad.Name} {
		want := map[string]string{good.ARN: good.ARN, bad.Name: bad.ARN}[arg]
		if res := admin.ok("target", "replication", "rm", arg); res.stdout != "Removed replication target "+want+"\n" {
			t.Errorf("rm %s: %s", arg, res)
		}
	}
	admin.jsonOf(&listed, "target", "replication", "list")
	for _, tg := range listed.Targets {
		if tg.ARN == good.ARN || tg.ARN == bad.ARN {
			t.Fatalf("%s is still listed after rm", tg.ARN)
		}
	}
	res = admin.run("", nil, "target", "replication", "rm", good.ARN)
	if res.code != 1 || !strings.Contains(res.stderr, good.ARN) || !strings.Contains(res.stderr, "does not exist") {
		t.Errorf("rm of a removed target: want exit 1 saying it does not exist; %s", res)
	}
	res = admin.run("", nil, "target", "replication", "rm", good.Name)
	if res.code != 1 || !strings.Contains(res.stderr, `no replication target named "`+good.Name+`"`) {
		t.Errorf("rm of a removed target by name: want exit 1 saying there is none; %s", res)
	}
}

func TestCLITargetAddTestsTheTargetAndKeepsOnlyOneThatWorks(t *testing.T) {
	dest := startServer(t, serverOptions{})
	bucket := bucketName(t)
	destClient := s3Client(dest.S3URL, dest.AccessKey, dest.SecretKey)
	if _, err := destClient.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %s on the destination: %v", bucket, err)
	}
	admin := newCLIHome(t, sharedSrv)
	admin.login(rootUser, rootPassword)

	tests := []struct {
		name, bucket, secret string
		want                 string // in the one-line reason
	}{
		{"a wrong secret", bucket, strings.Repeat("x", len(dest.SecretKey)), "credentials"},
		{"a bucket that does not exist", bucket + "-nosuch", dest.SecretKey, "bucket"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("%s-refused-%d", bucket, i)
			res := admin.runAddTarget(name, dest, tt.bucket, tt.secret)
			line := strings.TrimSuffix(res.stderr, "\n")
			if res.code != 1 || res.stdout != "" || !strings.HasPrefix(line, "quarry: replication target "+name+" was not added: ") ||
				!strings.Contains(line, tt.want) || !strings.Contains(line, "--no-test") || strings.Contains(line, "\n") {
				t.Errorf("want exit 1 and one line saying why the target was not added (%s); %s", tt.want, res)
			}
			if strings.Contains(res.stderr, tt.secret) {
				t.Fatal("the refusal printed the secret key")
			}
			if admin.targetNames()[name] {
				t.Errorf("the target that failed its test is still listed")
			}
		})
	}

	// A target that passes its test is kept, and is usable by name.
	good := admin.addTarget(bucket+"-works", dest, bucket, dest.SecretKey)
	if res := admin.ok("target", "replication", "test", good.Name); res.stdout != "ok\n" {
		t.Errorf("test by name: %s", res)
	}
	admin.ok("target", "replication", "rm", good.Name)
}

func TestCLITargetAddRefusesIncompleteFlagsBeforeCallingTheServer(t *testing.T) {
	h := newCLIHome(t, sharedSrv) // not logged in: a server call would say so
	base := []string{"target", "replication", "add", "--name", "n", "--endpoint", "http://127.0.0.1:1", "--bucket", "b"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no access key", append(base[:len(base):len(base)], "--secret-key", "s"), "--access-key is required"},
		{"no secret", append(base[:len(base):len(base)], "--access-key", "a"), "exactly one of --secret-key and --secret-key-stdin"},
		{"both secrets", append(base[:len(base):len(base)], "--access-key", "a", "--secret-key", "s", "--secret-key-stdin"), "exactly one of"},
		{"no name", []string{"target", "replication", "add", "--endpoint", "http://x", "--bucket", "b", "--access-key", "a", "--secret-key", "s"}, "--name is required"},
		{"rm without a name or ARN", []string{"target", "replication", "rm"}, "usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.run("", nil, tt.args...)
			if res.code != 1 || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("want exit 1 saying %q; %s", tt.want, res)
			}
		})
	}
}
