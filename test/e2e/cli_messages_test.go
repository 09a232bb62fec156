package e2e

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// oneLine checks that a failed run printed one "quarry: ..." line holding
// each of want, nothing on stdout, and none of Go's raw error words.
func oneLine(t *testing.T, res cliResult, want ...string) {
	t.Helper()
	line := strings.TrimSuffix(res.stderr, "\n")
	if res.code != 1 || res.stdout != "" || !strings.HasPrefix(line, "quarry: ") || strings.Contains(line, "\n") {
		t.Errorf("want exit 1 and one line \"quarry: ...\"; %s", res)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("the message does not say %q: %s", w, line)
		}
	}
	for _, raw := range []string{"strconv.", "ParseBool", "json: ", "HTTP 403 Forbidden", "invalid character"} {
		if strings.Contains(line, raw) {
			t.Errorf("the message shows Go's or HTTP's raw words %q: %s", raw, line)
		}
	}
}

func TestCLILoginToTheS3PortSaysItIsTheS3Endpoint(t *testing.T) {
	h := newCLIHome(t, sharedSrv)
	res := h.run("", []string{"QUARRY_PASSWORD=" + rootPassword}, "login", "--endpoint", sharedSrv.S3URL, "--user", rootUser)
	oneLine(t, res, sharedSrv.S3URL+" is Quarry's S3 endpoint", "log in to the management API endpoint (default port 9001)")
	if _, err := os.Stat(h.sessionPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a login to the S3 port left a session file (stat: %v)", err)
	}
}

func TestCLISaysADeletedUsersSessionBelongsToNoOneNow(t *testing.T) {
	// Short-lived access tokens, so that the second case is a refresh.
	srv := startServer(t, serverOptions{Args: []string{"--access-token-ttl", "2s"}})
	admin := newCLIHome(t, srv)
	admin.login(rootUser, rootPassword)
	const name, password = "leaving-user", "leaving-user-password-1"
	if res := admin.run(password+"\n", nil, "user", "create", "--username", name, "--password-stdin"); res.code != 0 {
		t.Fatalf("user create: %s", res)
	}
	user := newCLIHome(t, srv)
	user.login(name, password)
	user.ok("user", "info")
	admin.ok("user", "delete", name)

	// While its access token lives, then once only a refresh could help.
	for _, when := range []string{"with a live access token", "after the access token expired"} {
		t.Run(when, func(t *testing.T) {
			res := user.run("", nil, "job", "list")
			oneLine(t, res, "user "+name+" no longer exists on "+user.endpoint, "log in as another user")
			if strings.Contains(res.stderr, "expired") {
				t.Errorf("the message says the session expired: %s", res)
			}
		})
		time.Sleep(2500 * time.Millisecond)
	}
}

func TestCLIRevokeTakesTheKeyAsValueOrArgument(t *testing.T) {
	admin := newCLIHome(t, sharedSrv)
	admin.login(rootUser, rootPassword)
	name := fmt.Sprintf("cli-revoke-%d", time.Now().UnixNano()%1_000_000_000)
	password := "cli-revoke-password-1"
	if res := admin.run(password+"\n", nil, "user", "create", "--username", name, "--password-stdin"); res.code != 0 {
		t.Fatalf("user create: %s", res)
	}
	user := newCLIHome(t, sharedSrv)
	user.login(name, password)
	newKey := func() (string, *s3.Client) {
		t.Helper()
		res := user.ok("user", "credentials")
		ak := regexp.MustCompile(`(?m)^Access key: (\S+)$`).FindStringSubmatch(res.stdout)
		sk := regexp.MustCompile(`(?m)^Secret key: (\S+)$`).FindStringSubmatch(res.stdout)
		if ak == nil || sk == nil {
			t.Fatalf("user credentials printed no keys: %s", res)
		}
		return ak[1], s3Client(sharedSrv.S3URL, ak[1], sk[1])
	}
	works := func(c *s3.Client) bool {
		_, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{})
		return err == nil
	}
	first, firstClient := newKey()
	second, secondClient := newKey()
	kept, keptClient := newKey()

	for _, args := range [][]string{{"--revoke=" + first}, {"--revoke", second}} {
		res := user.ok(append([]string{"user", "credentials"}, args...)...)
		if !strings.Contains(res.stdout, "Revoked access key ") {
			t.Errorf("user credentials %s: %s", strings.Join(args, " "), res)
		}
	}
	if works(firstClient) || works(secondClient) {
		t.Error("a revoked key still works")
	}
	if !works(keptClient) {
		t.Fatalf("revoking %s and %s revoked %s too", first, second, kept)
	}

	// Mistakes are refused in words, and revoke nothing.
	oneLine(t, user.run("", nil, "user", "credentials", "--revoke", ""), "the access key is empty", "usage: quarry user credentials")
	oneLine(t, user.run("", nil, "user", "credentials", "--revoke=NOSUCHKEY0000000000"), "access key NOSUCHKEY0000000000 does not exist")
	oneLine(t, user.run("", nil, "job", "create", "--type", "METRIC_RECONCILIATION", "--bucket", "b", "--wait=maybe"),
		`--wait takes no value (got "maybe")`, "usage: quarry job create")
	if !works(keptClient) {
		t.Error("a refused revoke revoked a key")
	}
	admin.ok("user", "delete", name)
}

func TestCLIJobListOfABucketThatDoesNotExistSaysSo(t *testing.T) {
	h := newCLIHome(t, sharedSrv)
	h.login(rootUser, rootPassword)
	missing := bucketName(t)
	oneLine(t, h.run("", nil, "job", "list", "--bucket", missing), "bucket "+missing+" does not exist")

	// A bucket without jobs is an empty table.
	empty := newBucket(t, rootClient())
	if res := h.ok("job", "list", "--bucket", empty); strings.TrimSpace(res.stdout) != "ID  TYPE  BUCKET  STATE  PROCESSED  FAILED  STARTED" {
		t.Errorf("job list of a bucket without jobs: %s", res)
	}
}

func TestCLIWatchPrintsReadableLinesWhenNotATerminal(t *testing.T) {
	const objects = 1500
	bucket := fillBucket(t, objects)
	h := newCLIHome(t, sharedSrv)
	h.login(rootUser, rootPassword)

	start := time.Now()
	res := h.ok("job", "create", "--type", "METRIC_RECONCILIATION", "--bucket", bucket, "--param", "verifyData=true", "--wait")
	elapsed := time.Since(start)
	id := jobIDIn(t, res)
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "Created job ") {
		t.Fatalf("job create --wait: %s", res)
	}
	lines = lines[1:]
	for i, l := range lines {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line %d is %d columns: %q", i, n, l)
		}
		// A number that no word says the meaning of ("EXAMINING: 0, ...").
		if regexp.MustCompile(`^\s*\d+\s*$|:\s*\d+\s*(,|$)`).MatchString(l) {
			t.Errorf("line %d holds a bare number: %q", i, l)
		}
	}
	// Progress lines, then the summary (wrapped to 80 columns).
	progress := regexp.MustCompile(fmt.Sprintf(`^job %d (EXAMINING|PROCESSING|EXECUTING)\b`, id))
	n := 0
	for n < len(lines) && progress.MatchString(lines[n]) {
		l := lines[n]
		if !strings.Contains(l, "processed ") && !regexp.MustCompile(`\d+ of ~?\d+ \w+`).MatchString(l) {
			t.Errorf("progress line %d says neither the counters nor how far its phase is: %q", n, l)
		}
		n++
	}
	summary := strings.Join(strings.Fields(strings.Join(lines[n:], " ")), " ")
	want := fmt.Sprintf("job %d COMPLETE: processed %d, failed 0, skipped 0, total %d, ", id, objects, objects)
	if !strings.HasPrefix(summary, want) || !strings.Contains(summary, "(METRIC_RECONCILIATION on "+bucket) {
		t.Errorf("after %d progress lines, want the summary %q...; got:\n%s", n, want, res.stdout)
	}
	// A line per state (and step) change, and one every 5 s in between.
	if max := 6 + int(elapsed/(5*time.Second)); n == 0 || n > max {
		t.Errorf("%d progress lines in %s, want 1 to %d:\n%s", n, elapsed.Round(time.Millisecond), max, res.stdout)
	}
}
