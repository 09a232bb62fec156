package e2e

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics from srv's MAPI listener into name{labels} -> value.
func scrape(t *testing.T, srv *server) map[string]float64 {
	t.Helper()
	c := newMAPIClient(t, srv)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := c.send(req)
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
