package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

func TestRateMeterMeasuresOverTheRecentWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		readings  []rateSample
		wantOK    bool
		wantObjs  float64
		wantBytes float64
	}{
		{"one reading has no rate", []rateSample{{t0, 100, 0}}, false, 0, 0},
		{"readings 100 ms apart have no rate yet", []rateSample{{t0, 0, 0}, {t0.Add(100 * time.Millisecond), 10, 0}}, false, 0, 0},
		{"two readings a second apart", []rateSample{{t0, 100, 1000}, {t0.Add(time.Second), 150, 6000}}, true, 50, 5000},
		{"readings that left the window do not count", []rateSample{
			{t0, 0, 0},
			{t0.Add(20 * time.Second), 10_000, 0}, // a burst long ago
			{t0.Add(30 * time.Second), 10_100, 0},
			{t0.Add(40 * time.Second), 10_200, 0},
		}, true, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m rateMeter
			for _, r := range tt.readings {
				m.add(r.at, r.done, r.bytes)
			}
			objs, bytes, ok := m.rates()
			if ok != tt.wantOK || objs != tt.wantObjs || bytes != tt.wantBytes {
				t.Errorf("rates() = %v, %v, %v; want %v, %v, %v", objs, bytes, ok, tt.wantObjs, tt.wantBytes, tt.wantOK)
			}
		})
	}
}

func TestProgressLineShowsCountsRatesAndETA(t *testing.T) {
	tests := []struct {
		name string
		p    progressInfo
		want string
	}{
		{"a job that knows its total",
			progressInfo{id: 12, state: "EXECUTING", done: 450, failed: 3, total: 1000, objRate: 110, hasRate: true},
			"job 12 EXECUTING: 450/1000 (45%), failed 3, 110 obj/s, ETA 5s"},
		{"bytes per second when the job moves bytes",
			progressInfo{id: 3, state: "EXECUTING", done: 10, total: 20, bytes: 5e6, objRate: 5, byteRate: 2.5e6, hasRate: true},
			"job 3 EXECUTING: 10/20 (50%), failed 0, 5 obj/s, 2.5 MB/s, ETA 2s"},
		{"a job still counting its candidates",
			progressInfo{id: 7, state: "EXAMINING", done: 0},
			"job 7 EXAMINING: 0, failed 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.line(); got != tt.want {
				t.Errorf("line() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLineViewPrintsAtMostOneLineASecondUnlessTheStateChanges(t *testing.T) {
	var out bytes.Buffer
	v := &lineView{w: &out}
	t0 := time.Now()
	v.show(progressInfo{id: 1, state: "EXAMINING"}, t0)
	v.show(progressInfo{id: 1, state: "EXAMINING"}, t0.Add(500*time.Millisecond))
	v.show(progressInfo{id: 1, state: "EXECUTING"}, t0.Add(600*time.Millisecond))
	v.show(progressInfo{id: 1, state: "EXECUTING"}, t0.Add(1700*time.Millisecond))
	if got := strings.Count(out.String(), "\n"); got != 3 {
		t.Errorf("printed %d lines, want 3:\n%s", got, out.String())
	}
}

func TestFinalLineSumsUpTheJob(t *testing.T) {
	st := &mapiclient.JobStatus{
		JobID: mapiclient.JobID{ID: 12}, JobState: "COMPLETE", JobType: "METRIC_RECONCILIATION", BucketName: "photos",
		StartTime: "2026-01-01T12:00:00Z", CompleteTime: "2026-01-01T12:00:01.5Z",
		JobStats: mapiclient.JobStats{Processed: 100, Failed: 2},
	}
	want := "job 12 COMPLETE: processed 100, failed 2 (METRIC_RECONCILIATION on photos, 1.5s)"
	if got := finalLine(st); got != want {
		t.Errorf("finalLine = %q, want %q", got, want)
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    map[string]string
		wantErr bool
	}{
		{"no params", nil, nil, false},
		{"a value holding an equals sign", []string{"prefix=a=b", "dryRun=true"}, map[string]string{"prefix": "a=b", "dryRun": "true"}, false},
		{"an empty value", []string{"prefix="}, map[string]string{"prefix": ""}, false},
		{"no equals sign", []string{"dryRun"}, nil, true},
		{"no key", []string{"=x"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseParams(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
