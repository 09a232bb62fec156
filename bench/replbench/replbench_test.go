package main

import (
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/replication"
)

func TestRatioIsReplicationRateOverClientLoopRate(t *testing.T) {
	tests := []struct {
		name      string
		c         benchCase
		base      time.Duration
		repl      time.Duration
		wantRatio float64
		wantRate  float64
	}{
		{"small objects twice as fast as the loop", benchCase{count: 5000, size: 4096, perObject: true}, 10 * time.Second, 5 * time.Second, 2, 1000},
		{"large objects at half the loop's rate", benchCase{count: 32, size: 16 << 20}, 4 * time.Second, 8 * time.Second, 0.5, 32 * 16 << 20 / 1e6 / 8},
		{"a zero baseline gives no ratio instead of infinity", benchCase{count: 1, size: 1, perObject: true}, 0, time.Second, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := caseResult{benchCase: tt.c, baseline: result{elapsed: tt.base}, replication: result{elapsed: tt.repl}}
			if got := r.ratio(); got != tt.wantRatio {
				t.Errorf("ratio = %v, want %v", got, tt.wantRatio)
			}
			if got := tt.c.rate(tt.repl); got != tt.wantRate {
				t.Errorf("replication rate = %v, want %v", got, tt.wantRate)
			}
		})
	}
}

func TestVerdictPassesAtTheTargetAndNotBelow(t *testing.T) {
	for _, tt := range []struct {
		ratio, target float64
		want          string
	}{{1.5, 1.5, "PASS"}, {1.49, 1.5, "BELOW"}, {0.95, 0.9, "PASS"}, {0, 0.9, "BELOW"}} {
		if got := verdict(tt.ratio, tt.target); got != tt.want {
			t.Errorf("verdict(%v, %v) = %s, want %s", tt.ratio, tt.target, got, tt.want)
		}
	}
}

func TestParseRequestCountsSumsEveryStatusOfAnOperation(t *testing.T) {
	metrics := `# HELP quarry_s3_requests_total S3 requests.
# TYPE quarry_s3_requests_total counter
quarry_s3_requests_total{operation="PutObject",status="200"} 10
quarry_s3_requests_total{operation="PutObject",status="400"} 2
quarry_s3_requests_total{operation="HeadObject",status="404"} 5
quarry_s3_request_duration_seconds_count{operation="PutObject",status="200"} 10
`
	got, err := parseRequestCounts(strings.NewReader(metrics))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["PutObject"] != 12 || got["HeadObject"] != 5 {
		t.Errorf("parseRequestCounts = %v, want PutObject 12 and HeadObject 5 only", got)
	}
	if _, err := parseRequestCounts(strings.NewReader(`quarry_s3_requests_total{operation="X"} nope`)); err == nil {
		t.Error("a non-numeric value was accepted")
	}
}

func TestPerObjectDividesByTheObjectCountInOperationOrder(t *testing.T) {
	got := perObject(map[string]float64{"PutObject": 100, "HeadObject": 200}, 100)
	if want := "HeadObject 2.00, PutObject 1.00"; got != want {
		t.Errorf("perObject = %q, want %q", got, want)
	}
	if got := perObject(nil, 10); got != "-" {
		t.Errorf("perObject of nothing = %q, want -", got)
	}
}

func TestSizeLabelUsesTheLargestExactUnit(t *testing.T) {
	for n, want := range map[int64]string{4096: "4 KiB", 16 << 20: "16 MiB", 1000: "1000 B", 1<<20 + 1: "1048577 B"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestParseFlagsDefaultsMatchTheIssueAndRejectNonsense(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.smallCount != 5000 || c.smallSize != 4096 || c.largeCount != 32 || c.largeSize != 16<<20 || c.conc != batchConcurrency {
		t.Errorf("defaults = %+v", c)
	}
	for _, args := range [][]string{{"-conc", "0"}, {"-reps", "-1"}, {"-small-size", "0"}, {"extra"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

func TestBaselineConcurrencyIsTheBatchJobsConcurrency(t *testing.T) {
	if batchConcurrency != replication.DefaultBatchConcurrency {
		t.Errorf("batchConcurrency = %d, but BATCH_REPLICATE copies %d at once: update the baseline's default", batchConcurrency, replication.DefaultBatchConcurrency)
	}
}

func TestRcloneRatioIsReplicationOverRcloneAndZeroWithoutRclone(t *testing.T) {
	c := benchCase{count: 1000, size: 4096, perObject: true, rcloneTarget: 1.5}
	r := caseResult{benchCase: c, replication: result{elapsed: 2 * time.Second}, rclone: result{elapsed: 4 * time.Second}, hasRclone: true}
	if got := r.rcloneRatio(); got != 2 {
		t.Errorf("rcloneRatio = %v, want 2", got)
	}
	if got := rcloneTargetCell(r); got != "PASS >=1.5x" {
		t.Errorf("rcloneTargetCell = %q, want PASS >=1.5x", got)
	}
	r.hasRclone = false
	if got := r.rcloneRatio(); got != 0 {
		t.Errorf("rcloneRatio without rclone = %v, want 0", got)
	}
}

func TestRcloneRemoteIsAnS3RemoteOfTheEndpointWithTheRootKeys(t *testing.T) {
	env := strings.Join(rcloneRemote("SRC", "http://127.0.0.1:9000"), "\n")
	for _, want := range []string{"RCLONE_CONFIG_SRC_TYPE=s3", "RCLONE_CONFIG_SRC_PROVIDER=Other",
		"RCLONE_CONFIG_SRC_ENDPOINT=http://127.0.0.1:9000", "RCLONE_CONFIG_SRC_ACCESS_KEY_ID=" + rootAccessKey,
		"RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY=" + rootSecretKey} {
		if !strings.Contains(env, want) {
			t.Errorf("remote environment lacks %s:\n%s", want, env)
		}
	}
	t.Setenv("AWS_CA_BUNDLE", "/nonexistent.pem")
	for _, kv := range environWithoutAWS() {
		if strings.HasPrefix(kv, "AWS_") {
			t.Errorf("rclone's environment keeps %s", kv)
		}
	}
}
