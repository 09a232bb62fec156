package e2e

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics from srv's MAPI listener, with the root user's
// access token, into name{labels} -> value.
func scrape(t *testing.T, srv *server) map[string]float64 {
	t.Helper()
	return scrapeWith(t, srv, mapiRoot(t, srv).AccessToken)
}

// getMetrics is GET /metrics on srv with bearer as the token (none when
// empty).
func getMetrics(t *testing.T, srv *server, bearer string) mapiResponse {
	t.Helper()
	c := newMAPIClient(t, srv)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return c.send(req)
}

// scrapeWith reads /metrics with bearer as the token (none when empty).
func scrapeWith(t *testing.T, srv *server, bearer string) map[string]float64 {
	t.Helper()
	resp := getMetrics(t, srv, bearer)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(resp.Body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// sumOf adds the values of the series of name whose labels hold every
// given label="value" pair.
func sumOf(m map[string]float64, name string, labels ...string) (float64, bool) {
	var sum float64
	found := false
	for series, v := range m {
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		match := true
		for _, l := range labels {
			if !strings.Contains(series, l) {
				match = false
			}
		}
		if match {
			sum, found = sum+v, true
		}
	}
	return sum, found
}

func TestMetricsReportRequestsJobsAndUsage(t *testing.T) {
	t.Parallel()
	c := rootClient()
	bucket := newBucket(t, c)
	for _, k := range []string{"a", "b", "c"} {
		putObject(t, c, bucket, k, []byte("0123456789"))
	}
	root := mapiRoot(t, sharedSrv)
	job := root.waitJobEnded(root.createJob(metricRecon, bucket, nil).ID(), time.Minute)
	if job.JobState != "COMPLETE" {
		t.Fatalf("job ended %s", job.JobState)
	}

	m := scrape(t, sharedSrv)
	checks := []struct {
		what    string
		name    string
		labels  []string
		atLeast float64
	}{
		{"S3 PUTs", "quarry_s3_requests_total", []string{`status="200"`}, 3},
		{"MAPI job creates", "quarry_mapi_requests_total", []string{`operation="jobs/create"`, `status="200"`}, 1},
		{"MAPI token grants", "quarry_mapi_requests_total", []string{`operation="token"`}, 1},
		{"complete reconciliations", "quarry_jobs", []string{`type="METRIC_RECONCILIATION"`, `state="COMPLETE"`}, 1},
		{"objects reconciled", "quarry_job_objects_total", []string{`type="METRIC_RECONCILIATION"`, `outcome="processed"`}, 3},
		{"S3 latency observations", "quarry_s3_request_duration_seconds_count", nil, 3},
	}
	for _, ck := range checks {
		got, ok := sumOf(m, ck.name, ck.labels...)
		if !ok || got < ck.atLeast {
			t.Errorf("%s: %s%v = %v (present %v), want at least %v", ck.what, ck.name, ck.labels, got, ok, ck.atLeast)
		}
	}
	exact := map[string]float64{"quarry_bucket_objects": 3, "quarry_bucket_bytes": 30, "quarry_bucket_versions": 3}
	for name, want := range exact {
		if got, ok := sumOf(m, name, `bucket="`+bucket+`"`); !ok || got != want {
			t.Errorf("%s{bucket=%q} = %v (present %v), want %v", name, bucket, got, ok, want)
		}
	}
}

func TestMetricsNeedAnAdminsBearerToken(t *testing.T) {
	t.Parallel()
	root := mapiRoot(t, sharedSrv)
	user := "metrics-reader-" + strconv.FormatInt(bucketSeq.Add(1), 10)
	root.createUser(user, "metrics-reader-password", "USER")
	reader := mapiLogin(t, sharedSrv, user, "metrics-reader-password")
	tests := []struct {
		name   string
		bearer string
		status int
	}{
		{"no token is refused", "", http.StatusUnauthorized},
		{"a garbage token is refused", "not.a.token", http.StatusUnauthorized},
		{"a refresh token is refused", root.RefreshToken, http.StatusUnauthorized},
		{"a user's access token is forbidden", reader.AccessToken, http.StatusForbidden},
		{"an admin's access token scrapes", root.AccessToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := getMetrics(t, sharedSrv, tt.bearer)
			if r.Status != tt.status {
				t.Fatalf("GET /metrics: %s, want %d", r, tt.status)
			}
			if tt.status == http.StatusOK {
				if !bytes.Contains(r.Body, []byte("quarry_s3_requests_total")) {
					t.Fatalf("a scrape without quarry_s3_requests_total: %s", r)
				}
				return
			}
			if bytes.Contains(r.Body, []byte("quarry_")) {
				t.Errorf("a refused scrape shows metrics: %s", r)
			}
			if e, ok := r.apiError(); !ok {
				t.Errorf("a refused scrape has no MAPI error body: %s", r)
			} else if tt.status == http.StatusForbidden && e.Code != "FORBIDDEN" {
				t.Errorf("code %s, want FORBIDDEN", e.Code)
			}
			if tt.status == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
	resp, err := http.Get("http://" + sharedSrv.MAPIAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz without a token: %d, want 200", resp.StatusCode)
	}
}

func TestMetricsTokensFromTheCLIScrapeUntilRevoked(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	h := newCLIHome(t, srv)
	h.login(rootUser, rootPassword)

	file := filepath.Join(t.TempDir(), "quarry-metrics-token")
	if res := h.ok("admin", "metrics-token", "--file", file, "--lifetime", "720h"); !strings.Contains(res.stdout, file) {
		t.Errorf("metrics-token --file does not say where it wrote: %s", res)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("the token file has mode %04o, want 0600", perm)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := strings.TrimSpace(string(b))
	if m := scrapeWith(t, srv, fromFile); len(m) == 0 {
		t.Error("a scrape with the token file's token read no metrics")
	}
	printed := strings.TrimSpace(h.ok("admin", "metrics-token").stdout)
	if m := scrapeWith(t, srv, printed); len(m) == 0 {
		t.Error("a scrape with the printed token read no metrics")
	}

	// The token is for /metrics only.
	c := mapiRoot(t, srv)
	c.AccessToken = fromFile
	if r := c.post("user/info", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("user/info with a metrics token: %s, want 401", r)
	}

	// Only an admin makes them.
	mapiRoot(t, srv).createUser("plain", "plain-password-1", "USER")
	other := newCLIHome(t, srv)
	other.login("plain", "plain-password-1")
	if res := other.run("", nil, "admin", "metrics-token"); res.code == 0 || !strings.Contains(res.stderr, "administrator") {
		t.Errorf("a user's metrics-token: want a refusal naming the administrator role; %s", res)
	}

	h.ok("admin", "metrics-token", "--revoke-all")
	for _, tok := range []string{fromFile, printed} {
		if r := getMetrics(t, srv, tok); r.Status != http.StatusUnauthorized {
			t.Errorf("a scrape with a revoked token: %s, want 401", r)
		}
	}
	if m := scrapeWith(t, srv, strings.TrimSpace(h.ok("admin", "metrics-token").stdout)); len(m) == 0 {
		t.Error("a token made after --revoke-all read no metrics")
	}
}

func TestMetricsArePublicWithMetricsPublic(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{Args: []string{"--metrics-public"}})
	if m := scrapeWith(t, srv, ""); len(m) == 0 {
		t.Error("a scrape without a token of a --metrics-public server read no metrics")
	}
}
