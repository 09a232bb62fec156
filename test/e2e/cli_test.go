package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// cliHome is one person's use of the quarry CLI: a HOME and
// XDG_CONFIG_HOME of its own, so its saved session is its own.
type cliHome struct {
	t        *testing.T
	dir      string
	endpoint string
}

// cliResult is what one run of the CLI did.
type cliResult struct {
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout ---\n%s--- stderr ---\n%s", r.code, r.stdout, r.stderr)
}

func newCLIHome(t *testing.T, srv *server) *cliHome {
	return &cliHome{t: t, dir: t.TempDir(), endpoint: "http://" + srv.MAPIAddr}
}

// sessionPath is where the CLI keeps this home's session.
func (h *cliHome) sessionPath() string {
	return filepath.Join(h.dir, "config", "quarry", "session.json")
}

// run runs the quarry binary with args, stdin and extra environment
// variables (NAME=value), and returns what it did.
func (h *cliHome) run(stdin string, env []string, args ...string) cliResult {
	h.t.Helper()
	cmd := exec.CommandContext(h.t.Context(), binaryPath, args...)
	cmd.Env = append(serverEnv(true), "HOME="+h.dir, "XDG_CONFIG_HOME="+filepath.Join(h.dir, "config"))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		h.t.Fatalf("run quarry %v: %v", args, err)
	}
	return res
}

// ok runs the CLI and fails the test unless it exits 0.
func (h *cliHome) ok(args ...string) cliResult {
	h.t.Helper()
	res := h.run("", nil, args...)
	if res.code != 0 {
		h.t.Fatalf("quarry %s: %s", strings.Join(args, " "), res)
	}
	return res
}

// login logs this home in as user.
func (h *cliHome) login(user, password string) {
	h.t.Helper()
	res := h.run("", []string{"QUARRY_PASSWORD=" + password}, "login", "--endpoint", h.endpoint, "--user", user)
	if res.code != 0 {
		h.t.Fatalf("quarry login as %s: %s", user, res)
	}
}

// jsonOf runs the CLI with --output json and decodes its stdout.
func (h *cliHome) jsonOf(out any, args ...string) {
	h.t.Helper()
	res := h.ok(append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(res.stdout), out); err != nil {
		h.t.Fatalf("quarry %s --output json is not one JSON document: %v\n%s", strings.Join(args, " "), err, res.stdout)
	}
}

// cliJob is the part of the MAPI JobStatus the tests read.
type cliJob struct {
	JobID    struct{ ID int32 } `json:"jobId"`
	JobState string             `json:"jobState"`
	JobType  string             `json:"jobType"`
	Bucket   string             `json:"bucketName"`
	JobStats struct {
		Processed int64 `json:"processed"`
		Failed    int64 `json:"failed"`
	} `json:"jobStats"`
}

func (h *cliHome) jobStatus(id int32) cliJob {
	h.t.Helper()
	var st cliJob
	h.jsonOf(&st, "job", "status", fmt.Sprint(id))
	return st
}

// fillBucket creates a bucket on the shared server holding n small objects.
func fillBucket(t *testing.T, n int) string {
	t.Helper()
	c := rootClient()
	bucket := newBucket(t, c)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			putObject(t, c, bucket, fmt.Sprintf("obj-%04d", i), []byte(fmt.Sprintf("object %d", i)))
		}()
	}
	wg.Wait()
	return bucket
}

var createdJobID = regexp.MustCompile(`(?m)^(?:Created job |ID\s+)(\d+)`)

// jobIDIn finds the job id in the output of job create.
func jobIDIn(t *testing.T, res cliResult) int32 {
	t.Helper()
	m := createdJobID.FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("no job id in the output of job create: %s", res)
	}
	id, _ := strconv.ParseInt(m[1], 10, 32)
	return int32(id)
}

func TestCLILoginKeepsASessionOnlyItsOwnerCanRead(t *testing.T) {
	h := newCLIHome(t, sharedSrv)

	res := h.run("", nil, "job", "list")
	if res.code != 1 || !strings.Contains(res.stderr, "quarry login") {
		t.Errorf("job list before any login: want exit 1 and a hint to run quarry login; %s", res)
	}

	res = h.run("", []string{"QUARRY_PASSWORD=wrong-password"}, "login", "--endpoint", h.endpoint, "--user", rootUser)
	if res.code != 1 || !strings.HasPrefix(res.stderr, "quarry: ") || !strings.Contains(res.stderr, "Invalid user credentials") {
		t.Errorf("login with a wrong password: want exit 1 and the server's message; %s", res)
	}
	if _, err := os.Stat(h.sessionPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed login left a session file (stat: %v)", err)
	}

	// The password comes from a non-terminal stdin when QUARRY_PASSWORD is unset.
	res = h.run(rootPassword+"\n", nil, "login", "--endpoint", h.endpoint, "--user", rootUser)
	if want := fmt.Sprintf("Logged in to %s as %s\n", h.endpoint, rootUser); res.code != 0 || res.stdout != want {
		t.Fatalf("login: want exit 0 and %q; %s", want, res)
	}
	info, err := os.Stat(h.sessionPath())
	if err != nil {
		t.Fatalf("session file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("session file mode = %o, want 600", mode)
	}
	if raw, _ := os.ReadFile(h.sessionPath()); bytes.Contains(raw, []byte(rootPassword)) {
		t.Error("the session file holds the password")
	}

	var me struct {
		ID       struct{ ID int64 } `json:"id"`
		Username string             `json:"username"`
		Role     string             `json:"role"`
	}
	h.jsonOf(&me, "user", "info")
	if me.Username != rootUser || me.Role != "ADMIN" || me.ID.ID == 0 {
		t.Errorf("user info = %+v, want root as ADMIN", me)
	}
	if out := h.ok("user", "info").stdout; !strings.Contains(out, rootUser) || !strings.Contains(out, "ADMIN") {
		t.Errorf("user info table:\n%s", out)
	}
}

func TestCLIManagesUsersAndTheirS3Credentials(t *testing.T) {
	admin := newCLIHome(t, sharedSrv)
	admin.login(rootUser, rootPassword)
	name := fmt.Sprintf("cli-user-%d", time.Now().UnixNano()%1_000_000_000)
	password := "cli-user-password-1"

	res := admin.run(password+"\n", nil, "user", "create", "--username", name, "--password-stdin", "--role", "USER")
	if res.code != 0 || !strings.Contains(res.stdout, name) {
		t.Fatalf("user create: %s", res)
	}
	var list struct {
		Users []struct {
			ID       struct{ ID int64 } `json:"id"`
			Username string             `json:"username"`
			Role     string             `json:"role"`
		} `json:"users"`
	}
	admin.jsonOf(&list, "user", "list")
	var id int64
	for _, u := range list.Users {
		if u.Username == name {
			id = u.ID.ID
			if u.Role != "USER" {
				t.Errorf("new user's role = %s, want USER", u.Role)
			}
		}
	}
	if id == 0 {
		t.Fatalf("user list does not show %s: %+v", name, list.Users)
	}
	if out := admin.ok("user", "list").stdout; !strings.Contains(out, name) {
		t.Errorf("user list table does not show %s:\n%s", name, out)
	}

	user := newCLIHome(t, sharedSrv)
	user.login(name, password)
	res = user.ok("user", "credentials")
	ak := regexp.MustCompile(`(?m)^Access key: (\S+)$`).FindStringSubmatch(res.stdout)
	sk := regexp.MustCompile(`(?m)^Secret key: (\S+)$`).FindStringSubmatch(res.stdout)
	if ak == nil || sk == nil {
		t.Fatalf("user credentials printed no keys: %s", res)
	}
	s3c := s3Client(sharedSrv.S3URL, ak[1], sk[1])
	bucket := bucketName(t)
	if _, err := s3c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket with the generated keys: %v", err)
	}
	putObject(t, s3c, bucket, "hello", []byte("hello"))
	// Clean up, or the user could not be deleted.
	if _, err := s3c.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("hello")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := s3c.DeleteBucket(t.Context(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}

	// A user is not an admin.
	if res := user.run("", nil, "user", "list"); res.code != 1 || !strings.HasPrefix(res.stderr, "quarry: ") {
		t.Errorf("user list by a non-admin: want exit 1 with the server's message; %s", res)
	}

	res = user.ok("user", "credentials", "--revoke", ak[1])
	if !strings.Contains(res.stdout, ak[1]) {
		t.Errorf("revoke output does not name the key: %s", res)
	}
	if _, err := s3c.ListBuckets(t.Context(), &s3.ListBucketsInput{}); err == nil {
		t.Error("a revoked access key still works")
	}

	res = admin.ok("user", "delete", fmt.Sprint(id))
	if !strings.Contains(res.stdout, "Deleted user") {
		t.Errorf("user delete output: %s", res)
	}
	if res := user.run("", nil, "user", "info"); res.code != 1 {
		t.Errorf("user info of a deleted user: want exit 1; %s", res)
	}
	if out := admin.ok("user", "list").stdout; strings.Contains(out, name) {
		t.Errorf("user list still shows the deleted user:\n%s", out)
	}
}

func TestCLIRunsAMetricReconciliationToTheEnd(t *testing.T) {
	const objects = 40
	bucket := fillBucket(t, objects)
	h := newCLIHome(t, sharedSrv)
	h.login(rootUser, rootPassword)

	res := h.ok("job", "create", "--type", "METRIC_RECONCILIATION", "--bucket", bucket, "--wait")
	if !strings.Contains(res.stdout, "COMPLETE") || !strings.Contains(res.stdout, fmt.Sprintf("processed %d,", objects)) {
		t.Fatalf("job create --wait: want COMPLETE and processed %d; %s", objects, res)
	}
	id := jobIDIn(t, res)

	st := h.jobStatus(id)
	if st.JobState != "COMPLETE" || st.JobStats.Processed != objects || st.JobStats.Failed != 0 || st.Bucket != bucket || st.JobType != "METRIC_RECONCILIATION" {
		t.Errorf("job status = %+v, want COMPLETE with processed %d on %s", st, objects, bucket)
	}
	if out := h.ok("job", "status", fmt.Sprint(id)).stdout; !regexp.MustCompile(`(?m)^STATE\s+COMPLETE$`).MatchString(out) ||
		!regexp.MustCompile(fmt.Sprintf(`(?m)^PROCESSED\s+%d$`, objects)).MatchString(out) {
		t.Errorf("job status table:\n%s", out)
	}

	out := h.ok("job", "list", "--bucket", bucket).stdout
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^%d\s+METRIC_RECONCILIATION\s+%s\s+COMPLETE\s+%d\s+0\s`, id, regexp.QuoteMeta(bucket), objects)).MatchString(out) {
		t.Errorf("job list --bucket %s does not show job %d COMPLETE:\n%s", bucket, id, out)
	}
	var page struct {
		Jobs []cliJob `json:"jobs"`
	}
	h.jsonOf(&page, "job", "list", "--bucket", bucket, "--state", "complete", "--type", "METRIC_RECONCILIATION", "--all-pages")
	if len(page.Jobs) != 1 || page.Jobs[0].JobID.ID != id {
		t.Errorf("job list --output json = %+v, want job %d only", page.Jobs, id)
	}

	var failures struct {
		Failures []json.RawMessage `json:"failures"`
	}
	h.jsonOf(&failures, "job", "failures", fmt.Sprint(id))
	if failures.Failures == nil || len(failures.Failures) != 0 {
		t.Errorf("job failures --output json = %+v, want an empty list", failures)
	}
	if out := h.ok("job", "failures", fmt.Sprint(id)).stdout; !strings.HasPrefix(out, "KEY") {
		t.Errorf("job failures table:\n%s", out)
	}

	res = h.ok("job", "watch", fmt.Sprint(id))
	if want := fmt.Sprintf("job %d COMPLETE: processed %d, failed 0", id, objects); !strings.HasPrefix(res.stdout, want) {
		t.Errorf("job watch of a finished job: want %q; %s", want, res)
	}
	var watched cliJob
	h.jsonOf(&watched, "job", "watch", fmt.Sprint(id))
	if watched.JobID.ID != id || watched.JobState != "COMPLETE" {
		t.Errorf("job watch --output json = %+v", watched)
	}
}

func TestCLIWatchOfACancelledJobExitsNonZero(t *testing.T) {
	// Enough objects that a job is still running when a cancel that
	// follows its creation arrives (a few hundred take milliseconds).
	bucket := fillBucket(t, 1000)
	h := newCLIHome(t, sharedSrv)
	h.login(rootUser, rootPassword)

	// A job may still end COMPLETE before the cancel reaches it (the cancel
	// then answers 409, or is too late to stop the last batch): try again.
	for attempt := 1; ; attempt++ {
		res := h.ok("job", "create", "--type", "METRIC_RECONCILIATION", "--bucket", bucket, "--param", "verifyData=true")
		id := jobIDIn(t, res)
		cancel := h.run("", nil, "job", "cancel", fmt.Sprint(id))
		watch := h.run("", nil, "job", "watch", fmt.Sprint(id))
		if cancel.code != 0 || watch.code == 0 {
			if attempt < 5 && (strings.Contains(cancel.stderr, "ended") || strings.Contains(watch.stdout, "COMPLETE")) {
				t.Logf("attempt %d: job %d ended before the cancel: %s", attempt, id, watch)
				continue
			}
			t.Fatalf("job %d: cancel %s\nwatch %s", id, cancel, watch)
		}
		if watch.code != 2 || !strings.Contains(watch.stdout, fmt.Sprintf("job %d CANCELLED", id)) ||
			!strings.Contains(watch.stderr, "quarry: job "+fmt.Sprint(id)+" ended CANCELLED") {
			t.Errorf("job watch of a cancelled job: want exit 2 and CANCELLED; %s", watch)
		}
		if st := h.jobStatus(id); st.JobState != "CANCELLED" {
			t.Errorf("job status after cancel = %+v", st)
		}
		return
	}
}

func TestCLIPrintsTheServersErrors(t *testing.T) {
	h := newCLIHome(t, sharedSrv)
	h.login(rootUser, rootPassword)
	missing := bucketName(t)

	tests := []struct {
		name string
		args []string
		want string // in the one-line message
	}{
		{"a job on a bucket that does not exist", []string{"job", "create", "--type", "METRIC_RECONCILIATION", "--bucket", missing}, missing},
		{"a job of an unknown type", []string{"job", "create", "--type", "NO_SUCH_TYPE", "--bucket", missing}, "jobType"},
		{"the status of a job that does not exist", []string{"job", "status", "2147483000"}, "2147483000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.run("", nil, tt.args...)
			line := strings.TrimSuffix(res.stderr, "\n")
			if res.code != 1 || !strings.HasPrefix(line, "quarry: ") || strings.Contains(line, "\n") || !strings.Contains(line, tt.want) {
				t.Errorf("want exit 1 and one line \"quarry: <server's message naming %s>\"; %s", tt.want, res)
			}
			if res.stdout != "" {
				t.Errorf("stdout of a failed command: %q", res.stdout)
			}
		})
	}
}

func TestCLIRefreshesAnExpiredTokenAndSavesIt(t *testing.T) {
	srv := startServer(t, serverOptions{Args: []string{"--access-token-ttl", "2s"}})
	h := newCLIHome(t, srv)
	h.login(rootUser, rootPassword)
	readSession := func() (s struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
	}) {
		t.Helper()
		raw, err := os.ReadFile(h.sessionPath())
		if err != nil {
			t.Fatalf("read session: %v", err)
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("session file: %v", err)
		}
		return s
	}
	before := readSession()

	time.Sleep(2500 * time.Millisecond) // the access token expired
	if out := h.ok("user", "info").stdout; !strings.Contains(out, rootUser) {
		t.Errorf("user info after the access token expired:\n%s", out)
	}
	after := readSession()
	if after.AccessToken == before.AccessToken || after.AccessToken == "" {
		t.Error("the refreshed access token was not saved to the session file")
	}
	// The next run uses the saved token as is.
	h.ok("job", "list")
	if again := readSession(); again.AccessToken != after.AccessToken {
		t.Error("a fresh access token was refreshed again")
	}
}
