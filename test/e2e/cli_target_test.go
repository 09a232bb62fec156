package e2e

import (
	"encoding/json"
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

// addTarget runs target replication add with the secret on stdin and
// returns the new target.
func (h *cliHome) addTarget(name string, dest *server, bucket, secret string) cliTarget {
	h.t.Helper()
	args := []string{"target", "replication", "add", "--name", name, "--endpoint", dest.S3URL,
		"--bucket", bucket, "--region", testRegion, "--access-key", dest.AccessKey, "--secret-key-stdin", "--output", "json"}
	res := h.run(secret+"\n", nil, args...)
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
	bad := admin.addTarget(bucket+"-bad", dest, bucket, wrongSecret)

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

	for _, tg := range []cliTarget{good, bad} {
		if res := admin.ok("target", "replication", "rm", tg.ARN); res.stdout != "Removed replication target "+tg.ARN+"\n" {
			t.Errorf("rm %s: %s", tg.ARN, res)
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
		{"rm without an ARN", []string{"target", "replication", "rm"}, "usage:"},
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
