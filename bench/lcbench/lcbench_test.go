package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseFlagsDefaultsMatchTheIssueAndRejectNonsense(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.objects != 100_000 || c.conc != 1 || c.versioned || c.debugAddr != "" {
		t.Errorf("defaults = %+v; want 100,000 unversioned objects, one DeleteObjects call in flight, no profiler", c)
	}
	c, err = parseFlags([]string{"-objects", "5000", "-versioned", "-conc", "8"})
	if err != nil || c.objects != 5000 || !c.versioned || c.conc != 8 {
		t.Errorf("parseFlags(-objects 5000 -versioned -conc 8) = %+v, %v", c, err)
	}
	for _, args := range [][]string{{"-objects", "0"}, {"-conc", "-1"}, {"-seed-batch", "0"}, {"-seed-conc", "0"}, {"extra"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted it", args)
		}
	}
}

func TestTheServerRunsWithOneSecondDaysAndNoScanner(t *testing.T) {
	tests := []struct {
		name string
		cfg  config
		want string
	}{
		{"without a profiler", config{}, "--lifecycle-day 1s --lifecycle-scan=false"},
		{"with a profiler", config{debugAddr: "127.0.0.1:6060"}, "--lifecycle-day 1s --lifecycle-scan=false --debug-addr 127.0.0.1:6060"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(serverArgs(tt.cfg), " "); got != tt.want {
				t.Errorf("serverArgs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeysSortInTheOrderTheyAreNumbered(t *testing.T) {
	// The baseline deletes in number order; the job walks key order.
	for _, i := range []int{0, 9, 99, 999, 9999, 99_999, 999_999} {
		if objectKey(i) >= objectKey(i+1) {
			t.Errorf("key %q does not sort before %q", objectKey(i), objectKey(i+1))
		}
	}
}

func TestObjectSizesStayWithinBoundsAndAddUp(t *testing.T) {
	var sum int64
	for i := range 10_000 {
		s := objectSize(i)
		if s < 1 || s > maxObjectSize {
			t.Fatalf("object %d has %d bytes, want 1..%d", i, s, maxObjectSize)
		}
		sum += s
	}
	if got := totalBytes(10_000); got != sum {
		t.Errorf("totalBytes = %d, the sizes add up to %d", got, sum)
	}
}

func TestCheckJobWantsEveryObjectExpiredAndNothingElse(t *testing.T) {
	const n, freed = 1000, 2_000_000
	good := JobCounters{Total: n, Processed: n, Expired: n, BytesFreed: freed}
	tests := []struct {
		name    string
		state   string
		c       JobCounters
		wantErr string
	}{
		{"a complete job that expired everything", "COMPLETE", good, ""},
		{"a failed job", "FAILED", good, "job ended FAILED: bucket gone"},
		{"a job that skipped objects", "COMPLETE", JobCounters{Total: n, Processed: n - 1, Skipped: 1, Expired: n - 1, BytesFreed: freed}, "job counters"},
		{"a job with a failure", "COMPLETE", JobCounters{Total: n, Processed: n, Failed: 1, Expired: n, BytesFreed: freed}, "job counters"},
		{"a job that freed too little", "COMPLETE", JobCounters{Total: n, Processed: n, Expired: n, BytesFreed: 1}, "job counters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkJob(tt.state, "bucket gone", tt.c, n, freed)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("checkJob = %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("checkJob = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerdictPassesAtTwiceTheBaselineAndNotBelow(t *testing.T) {
	for ratio, want := range map[float64]string{2: "PASS", 7.5: "PASS", 1.99: "BELOW", 0: "BELOW"} {
		if got := verdict(ratio); got != want {
			t.Errorf("verdict(%v) = %s, want %s", ratio, got, want)
		}
	}
}

func TestTheReportShowsBothSidesTheRatioAndTheVerdict(t *testing.T) {
	r := Results{
		Config:   configJSON{Objects: 100_000, Conc: 1, KeysPerDelete: keysPerDelete},
		Seed:     SeedResult{Seconds: 60, BlobSeconds: 40, BytesPerBucket: 204_800_000},
		Job:      Side{Seconds: 4, ObjectsPerSecond: 25_000, FreedSeconds: 9, ServerCPUSeconds: 5},
		Baseline: Side{Seconds: 200, ObjectsPerSecond: 500, FreedSeconds: 201, ServerCPUSeconds: 90},
		Ratio:    50,
		JobStats: JobCounters{Total: 100_000, Processed: 100_000, Expired: 100_000, BytesFreed: 204_800_000},
	}
	var buf bytes.Buffer
	printResults(&buf, r)
	// Column widths are the tabwriter's: compare with single spaces.
	out := strings.Join(strings.Fields(buf.String()), " ")
	for _, want := range []string{
		"100000 objects in each of two buckets (1..4096 B, 204.8 MB each), unversioned",
		"LIFECYCLE_UPDATE 4.00 25000 9.00 5.00",
		"DeleteObjects, 1000 keys, 1 call in flight 200.00 500 201.00 90.00",
		"processed 100000, skipped 0, failed 0; expired 100000, bytesFreed 204800000",
		"SUMMARY: LIFECYCLE_UPDATE 25000 objects/s = 50.00x DeleteObjects (500 objects/s, 1 call in flight) PASS (target 2x)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	r.Config.Versioned, r.Config.Conc, r.Ratio = true, 8, 1.5
	buf.Reset()
	printResults(&buf, r)
	out = strings.Join(strings.Fields(buf.String()), " ")
	for _, want := range []string{"versioned: expiring adds a delete marker", "LIFECYCLE_UPDATE 4.00 25000 - 5.00",
		"8 calls in flight 200.00 500 - 90.00", "1.50x", "BELOW"} {
		if !strings.Contains(out, want) {
			t.Errorf("the versioned report lacks %q:\n%s", want, buf.String())
		}
	}
}
