package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{"a plain number is bytes", "4096", 4096, false},
		{"KiB is binary kilobytes", "4KiB", 4 << 10, false},
		{"MiB is binary megabytes", "64MiB", 64 << 20, false},
		{"suffixes ignore case and spaces", " 1 gib ", 1 << 30, false},
		{"short suffixes are binary too", "8m", 8 << 20, false},
		{"zero is refused", "0", 0, true},
		{"negative sizes are refused", "-4KiB", 0, true},
		{"words are refused", "big", 0, true},
		{"sizes beyond a terabyte are refused", "2048GiB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseConcs(t *testing.T) {
	got, err := parseConcs("1, 4,16")
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 4 || got[2] != 16 {
		t.Fatalf("parseConcs = %v, %v; want [1 4 16]", got, err)
	}
	for _, bad := range []string{"", "0", "1,,2", "x", "2000"} {
		if _, err := parseConcs(bad); err == nil {
			t.Errorf("parseConcs(%q) succeeded; want an error", bad)
		}
	}
}

func TestParseFlagsRejectsAListPrefixThatIsNotWholePages(t *testing.T) {
	if _, err := parseFlags([]string{"-list-keys", "150"}); err == nil {
		t.Fatal("want an error for -list-keys 150")
	}
	cfg, err := parseFlags([]string{"-small-conc", "2,32", "-large-size", "8MiB"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.maxConcurrency() != 32 || cfg.large.size != 8<<20 {
		t.Fatalf("maxConcurrency %d, large size %d; want 32 and 8 MiB", cfg.maxConcurrency(), cfg.large.size)
	}
}

func TestRunNCallsEveryIndexOnce(t *testing.T) {
	seen := make([]atomic.Int32, 50)
	if _, err := runN(context.Background(), 50, 7, func(_ context.Context, i int) error {
		seen[i].Add(1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("index %d called %d times", i, n)
		}
	}
}

func TestRunNStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int32
	_, err := runN(context.Background(), 1000, 1, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "object 3") {
		t.Fatalf("err = %v; want boom at object 3", err)
	}
	if calls.Load() != 4 {
		t.Fatalf("%d calls after the failure point; want 4", calls.Load())
	}
}

func TestBaselineFilesRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, 3*drainBufSize+17)
	if err := writeFileSync(ctx, path, data); err != nil {
		t.Fatal(err)
	}
	if err := readFileDiscard(ctx, path, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := readFileDiscard(ctx, path, int64(len(data))+1); err == nil {
		t.Fatal("reading a file of the wrong length succeeded")
	}
}

func TestHumanBytes(t *testing.T) {
	for in, want := range map[int64]string{4096: "4 KiB", 64 << 20: "64 MiB", 1000: "1000 B", 1536: "1536 B"} {
		if got := humanBytes(in); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestSummaryJudgesTheWorstLargeRatio(t *testing.T) {
	r := Results{
		Throughput: []ThroughputResult{
			{Op: "PUT", Target: largeTarget, Ratio: 0.9},
			{Op: "PUT", Target: largeTarget, Ratio: 0.5},
			{Op: "GET", Target: largeTarget, Ratio: 0.7},
			{Op: "GET", Ratio: 0.1}, // no target: not judged
		},
		Ops: []OpsResult{
			{Server: "quarry", Op: "GET", Concurrency: 1, OpsPerSec: 100},
			{Server: "quarry", Op: "GET", Concurrency: 16, OpsPerSec: 300},
			{Server: serverBaseline, Op: "GET", Concurrency: 16, OpsPerSec: 9000}, // not a best Quarry rate
		},
	}
	s := summarize(r)
	for _, want := range []string{"large PUT 0.50x of baseline BELOW", "large GET 0.70x of baseline PASS", "GET 300/s@c16"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q lacks %q", s, want)
		}
	}
}

func TestEvictTreeWalksNestedFiles(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	for _, p := range []string{"a", "d/b", "d/e/c"} {
		path := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeFileSync(ctx, path, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := evictTree(root); err != nil {
		t.Fatal(err)
	}
	if err := evictTree(filepath.Join(root, "missing")); err != nil {
		t.Fatalf("a tree that vanished should not be an error: %v", err)
	}
}

func TestParsePeerTakesMinIOAndAPath(t *testing.T) {
	got, err := parsePeer("minio=/usr/local/bin/minio")
	if err != nil || got.kind != "minio" || got.bin != "/usr/local/bin/minio" {
		t.Fatalf("parsePeer = %+v, %v; want minio at /usr/local/bin/minio", got, err)
	}
	for _, bad := range []string{"minio", "minio=", "versitygw=/bin/x", "=/bin/minio"} {
		if _, err := parsePeer(bad); err == nil {
			t.Errorf("parsePeer(%q) succeeded; want an error", bad)
		}
	}
	cfg, err := parseFlags([]string{"-peer", "minio=/opt/minio"})
	if err != nil || cfg.peer == nil || cfg.peer.bin != "/opt/minio" {
		t.Fatalf("parseFlags -peer = %+v, %v", cfg.peer, err)
	}
	if cfg, err := parseFlags(nil); err != nil || cfg.peer != nil {
		t.Fatalf("no -peer gave %+v, %v; want no peer", cfg.peer, err)
	}
}

func TestCompareOpsJudgesQuarryAgainstTheBaselineAndThePeer(t *testing.T) {
	ops := []OpsResult{
		{Server: serverBaseline, Op: "PUT", ObjectSize: 4096, Concurrency: 16, OpsPerSec: 2000},
		{Server: "quarry", Op: "PUT", ObjectSize: 4096, Concurrency: 16, OpsPerSec: 1000},
		{Server: "minio", Op: "PUT", ObjectSize: 4096, Concurrency: 16, OpsPerSec: 1000},
		{Server: "quarry", Op: "PUT", ObjectSize: 4096, Concurrency: 1, OpsPerSec: 300},
		{Server: "minio", Op: "PUT", ObjectSize: 4096, Concurrency: 1, OpsPerSec: 200},
		{Server: "quarry", Op: "HEAD", ObjectSize: 4096, Concurrency: 1, OpsPerSec: 500},
		{Server: "minio", Op: "HEAD", ObjectSize: 4096, Concurrency: 1, OpsPerSec: 0, Errors: 3, FirstError: "refused"},
	}
	got := compareOps(ops, "minio")
	if len(got) != 3 {
		t.Fatalf("%d comparisons, want 3: %+v", len(got), got)
	}
	c16, c1, head := got[0], got[1], got[2]
	if c16.Baseline != 2000 || c16.Peer.Ratio != 1 || c16.Peer.Target != 1.2 || c16.Peer.Verdict != "BELOW" {
		t.Errorf("PUT c16 = %+v, peer %+v; want baseline 2000, 1.00x of minio BELOW the 1.2 target", c16, *c16.Peer)
	}
	if c1.Baseline != 0 || c1.Peer.Ratio != 1.5 || c1.Peer.Verdict != "PASS" {
		t.Errorf("PUT c1 peer %+v; want 1.50x PASS and no baseline", *c1.Peer)
	}
	if head.Peer.Error == "" || head.Peer.Ratio != 0 || head.Peer.Verdict != "" {
		t.Errorf("HEAD against a failed peer = %+v; want an error and no ratio", *head.Peer)
	}
	if got := compareOps(ops, ""); len(got) != 1 || got[0].Peer != nil {
		t.Errorf("without a peer: %+v; want only the row with a baseline", got)
	}
}

func TestKeepBestKeepsEachSidesBestRate(t *testing.T) {
	r := ThroughputResult{QuarryMBps: 100, BaselineMBps: 300, Peer: &PeerFigures{Name: "minio", MBps: 200}}
	r.keepBest(ThroughputResult{QuarryMBps: 150, BaselineMBps: 250, Peer: &PeerFigures{Name: "minio", MBps: 180, Error: "boom"}})
	if r.QuarryMBps != 150 || r.BaselineMBps != 300 || r.Peer.MBps != 200 || r.Peer.Error != "boom" {
		t.Fatalf("keepBest = %+v, peer %+v", r, *r.Peer)
	}
	r.Peer.Error, r.Peer.Target = "", peerLargeTarget
	r.Peer.judge(r.QuarryMBps, r.Error)
	if r.Peer.Ratio != 0.75 || r.Peer.Verdict != "BELOW" {
		t.Fatalf("judge = %+v; want 0.75 BELOW", *r.Peer)
	}
}
