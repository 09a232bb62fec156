package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestRateMeterMeasuresOverTheRecentWindow(t *testing.T) {
	type reading struct {
		at          time.Time
		key         string
		done, bytes int64
	}
	tests := []struct {
		name      string
		readings  []reading
		wantOK    bool
		wantUnits float64
		wantBytes float64
	}{
		{"one reading has no rate", []reading{{t0, "a", 100, 0}}, false, 0, 0},
		{"readings 100 ms apart have no rate yet", []reading{{t0, "a", 0, 0}, {t0.Add(100 * time.Millisecond), "a", 10, 0}}, false, 0, 0},
		{"two readings a second apart", []reading{{t0, "a", 100, 1000}, {t0.Add(time.Second), "a", 150, 6000}}, true, 50, 5000},
		{"readings that left the window do not count", []reading{
			{t0, "a", 0, 0},
			{t0.Add(20 * time.Second), "a", 10_000, 0}, // a burst long ago
			{t0.Add(30 * time.Second), "a", 10_100, 0},
			{t0.Add(40 * time.Second), "a", 10_200, 0},
		}, true, 10, 0},
		{"a reading of another phase starts afresh", []reading{
			{t0, "PROCESSING", 0, 0},
			{t0.Add(time.Second), "PROCESSING", 1000, 0},
			{t0.Add(2 * time.Second), "EXECUTING", 5, 0},
		}, false, 0, 0},
		{"the new phase's rate is its own", []reading{
			{t0, "PROCESSING", 0, 0},
			{t0.Add(time.Second), "PROCESSING", 1000, 0},
			{t0.Add(2 * time.Second), "EXECUTING", 5, 0},
			{t0.Add(3 * time.Second), "EXECUTING", 25, 0},
		}, true, 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m rateMeter
			for _, r := range tt.readings {
				m.add(r.at, r.key, r.done, r.bytes)
			}
			units, bytes, ok := m.rates()
			if ok != tt.wantOK || units != tt.wantUnits || bytes != tt.wantBytes {
				t.Errorf("rates() = %v, %v, %v; want %v, %v, %v", units, bytes, ok, tt.wantUnits, tt.wantBytes, tt.wantOK)
			}
		})
	}
}

// status is a job status as the server sends it, with a phase in its
// result when phase is not empty.
func status(state string, stats mapiclient.JobStats, phase string) *mapiclient.JobStatus {
	st := &mapiclient.JobStatus{JobID: mapiclient.JobID{ID: 12}, JobState: state, JobType: "METRIC_RECONCILIATION", JobStats: stats}
	if phase != "" {
		st.Result = json.RawMessage(`{"phase":` + phase + `}`)
	}
	return st
}

// infoAfter is the progress shown of st one second after a poll that
// showed done (of the same phase) handled: a rate of st's done - done.
func infoAfter(prev, st *mapiclient.JobStatus) progressInfo {
	var m rateMeter
	if prev != nil {
		newProgressInfo(prev, &m, t0)
	}
	return newProgressInfo(st, &m, t0.Add(time.Second))
}

const blobPhase = `{"state":"EXECUTING","step":"checking blobs","unit":"blobs","done":%d,"total":5000,"estimated":true}`

func TestTheProgressLineShowsThePhaseTheJobIsIn(t *testing.T) {
	processing := func(p, f, s, total int64) *mapiclient.JobStatus {
		return status("PROCESSING", mapiclient.JobStats{Processed: p, Failed: f, Skipped: s, Total: total}, "")
	}
	counted := mapiclient.JobStats{Processed: 9990, Failed: 3, Skipped: 7, Total: 10000}
	tests := []struct {
		name       string
		prev, st   *mapiclient.JobStatus
		line, tail string
	}{
		{"a job counting its candidates", nil, status("EXAMINING", mapiclient.JobStats{}, ""),
			"job 12 EXAMINING: counting candidates; processed 0, failed 0, skipped 0",
			"counting candidates"},
		{"a job working through its candidates", processing(3490, 3, 7, 10000), processing(4490, 3, 7, 10000),
			"job 12 PROCESSING 45% of 10000: processed 4490, failed 3, skipped 7; ETA 6s, 1000 obj/s",
			"4500/10000 (45%), 3 failed, 7 skipped, 1000 obj/s, ETA 6s"},
		{"a job with nothing failed or skipped", nil, processing(3_000_000, 0, 0, 3_500_000),
			"job 12 PROCESSING 85% of 3500000: processed 3000000, failed 0, skipped 0",
			"3000000/3500000 (85%)"},
		{"a job of a server that does not count its candidates", nil, processing(40, 0, 0, 0),
			"job 12 PROCESSING: processed 40, failed 0, skipped 0",
			"40 handled"},
		{"a job in a phase it reports", status("EXECUTING", counted, fmt.Sprintf(blobPhase, 1100)), status("EXECUTING", counted, fmt.Sprintf(blobPhase, 2100)),
			"job 12 EXECUTING 42%: checking blobs, 2100 of ~5000 blobs; ETA ~3s, 1000 blobs/s; processed 9990, failed 3, skipped 7, total 10000",
			"checking blobs 2100/~5000 blobs (42%), 3 failed, 7 skipped, 1000 blobs/s, ETA ~3s"},
		{"a reported phase of a state the job has left is not shown", nil, status("PROCESSING", counted, fmt.Sprintf(blobPhase, 2100)),
			"job 12 PROCESSING 100% of 10000: processed 9990, failed 3, skipped 7",
			"10000/10000 (100%), 3 failed, 7 skipped"},
		{"a job whose last step reports nothing", nil, status("EXECUTING", counted, ""),
			"job 12 EXECUTING: finishing; processed 9990, failed 3, skipped 7, total 10000",
			"finishing, 3 failed, 7 skipped"},
		{"an estimate the job passed", nil, status("EXECUTING", counted, fmt.Sprintf(blobPhase, 5200)),
			"job 12 EXECUTING 100%: checking blobs, 5200 of ~5200 blobs; processed 9990, failed 3, skipped 7, total 10000",
			"checking blobs 5200/~5200 blobs (100%), 3 failed, 7 skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := infoAfter(tt.prev, tt.st)
			if got := p.line(200); got != tt.line {
				t.Errorf("line = %q\n  want %q", got, tt.line)
			}
			if got := strings.TrimRight(p.tail(200), " "); got != tt.tail {
				t.Errorf("tail = %q\n  want %q", got, tt.tail)
			}
		})
	}
}

func TestALineThatDoesNotFitDropsItsLeastImportantParts(t *testing.T) {
	big := status("PROCESSING", mapiclient.JobStats{Processed: 4_490_000_000, Failed: 3_000_000, Skipped: 7_000_000, Total: 9_999_999_999}, "")
	prev := status("PROCESSING", mapiclient.JobStats{Processed: 4_480_000_000, Failed: 3_000_000, Skipped: 7_000_000, Total: 9_999_999_999}, "")
	p := infoAfter(prev, big)
	// Neither rate nor ETA fits, and the counters are cut.
	got := p.line(79)
	if want := "job 12 PROCESSING 45% of 9999999999: processed 4490000000, failed 3000000, s..."; got != want {
		t.Errorf("line(79) = %q\n  want %q", got, want)
	}
	if got, want := p.line(100), "job 12 PROCESSING 45% of 9999999999: processed 4490000000, failed 3000000, skipped 7000000"; got != want {
		t.Errorf("line(100) = %q\n  want %q", got, want)
	}
	if got := p.tail(40); got != "4500000000/9999999999, 3000000 failed" {
		t.Errorf("tail(40) = %q", got)
	}
	if got := p.tail(30); got != "4500000000/9999999999" {
		t.Errorf("tail(30) = %q", got)
	}
	// Counters at zero go before those that are not.
	finishing := infoAfter(nil, status("EXECUTING", mapiclient.JobStats{Processed: 3_218_116, Failed: 29_524, Total: 3_247_640}, ""))
	if got, want := finishing.line(79), "job 12 EXECUTING: finishing; processed 3218116, failed 29524, total 3247640"; got != want {
		t.Errorf("line(79) = %q\n  want %q", got, want)
	}
	if got := fit([]part{{text: "abcdefghij"}, {text: "x", prio: 1, sep: " "}}, 8); got != "abcde..." {
		t.Errorf("fit of a part too long = %q", got)
	}
}

// watchFrames are the statuses of one job as successive polls see it:
// counting, scanning while clients write (the total grows) into the
// millions, then a phase it reports.
func watchFrames() []*mapiclient.JobStatus {
	frames := []*mapiclient.JobStatus{status("EXAMINING", mapiclient.JobStats{}, ""), status("EXAMINING", mapiclient.JobStats{}, "")}
	total := int64(900)
	for done := int64(0); done <= 3_000_000; done = done*3 + 100 {
		total = max(total, done) + done/10 // objects written meanwhile
		frames = append(frames, status("PROCESSING", mapiclient.JobStats{Processed: done, Failed: done / 100, Total: total}, ""))
	}
	stats := frames[len(frames)-1].JobStats
	stats.Processed = stats.Total - stats.Failed
	for done := int64(0); done < 12_000; done += 3000 {
		frames = append(frames, status("EXECUTING", stats,
			fmt.Sprintf(`{"state":"EXECUTING","step":"checking blobs","unit":"blobs","done":%d,"total":10000,"estimated":true}`, done)))
	}
	return append(frames, status("EXECUTING", stats, ""))
}

func TestTheBarNeverWrapsAndStaysInPlaceWhileTheTotalGrows(t *testing.T) {
	const columns = 80
	var out bytes.Buffer
	v := &barView{w: &out, width: func() int { return columns }}
	var m rateMeter
	for i, st := range watchFrames() {
		now := t0.Add(time.Duration(i) * watchInterval)
		v.show(newProgressInfo(st, &m, now), now)
	}
	v.close()
	if strings.Contains(out.String(), "\n") {
		t.Fatalf("the bar printed a newline:\n%q", out.String())
	}
	frames := strings.Split(out.String(), "\r\x1b[K")
	frames = frames[1:] // before the first redraw: nothing
	if last := frames[len(frames)-1]; last != "" {
		t.Errorf("close left %q on the line", last)
	}
	frames = frames[:len(frames)-1]
	barAt := regexp.MustCompile(`\[[ =>]*\]`)
	var first []int
	for i, f := range frames {
		if n := len([]rune(f)); n != columns-1 {
			t.Errorf("frame %d is %d columns, want %d: %q", i, n, columns-1, f)
		}
		loc := barAt.FindStringIndex(f)
		if loc == nil {
			t.Errorf("frame %d has no bar: %q", i, f)
			continue
		}
		if first == nil {
			first = loc
		} else if loc[0] != first[0] || loc[1] != first[1] {
			t.Errorf("frame %d has its bar at %v, the first at %v:\n%q", i, loc, first, f)
		}
	}
	if len(frames) != len(watchFrames()) {
		t.Errorf("%d frames drawn for %d polls", len(frames), len(watchFrames()))
	}
}

func TestABarOnANarrowTerminalStillFitsIt(t *testing.T) {
	for _, columns := range []int{20, 40, 60} {
		var m rateMeter
		for i, st := range watchFrames() {
			line := newProgressInfo(st, &m, t0.Add(time.Duration(i)*time.Second)).barLine(columns-1, i)
			if n := len([]rune(line)); n != columns-1 {
				t.Errorf("%d columns: frame %d is %d columns: %q", columns, i, n, line)
			}
		}
	}
}

func TestPlainOutputIsALinePerStateOrStepChangeAndEveryFewSeconds(t *testing.T) {
	var out bytes.Buffer
	v := &lineView{w: &out}
	var m rateMeter
	frames := watchFrames()
	for i, st := range frames {
		now := t0.Add(time.Duration(i) * watchInterval)
		v.show(newProgressInfo(st, &m, now), now)
	}
	// The polls above span 14 s: lines for EXAMINING, PROCESSING (at once
	// and 5 s later), the checking of blobs, and finishing.
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	wantStarts := []string{"job 12 EXAMINING: counting candidates", "job 12 PROCESSING", "job 12 PROCESSING",
		"job 12 EXECUTING 0%: checking blobs", "job 12 EXECUTING: finishing"}
	if len(lines) != len(wantStarts) {
		t.Fatalf("%d lines for %d polls, want %d:\n%s", len(lines), len(frames), len(wantStarts), out.String())
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, wantStarts[i]) {
			t.Errorf("line %d = %q, want it to start %q", i, l, wantStarts[i])
		}
		if len([]rune(l)) > plainWidth-1 {
			t.Errorf("line %d is %d columns: %q", i, len([]rune(l)), l)
		}
		if !strings.Contains(l, "processed") && !strings.Contains(l, "of ~10000 blobs") {
			t.Errorf("line %d says neither the counters nor the phase's progress: %q", i, l)
		}
		if regexp.MustCompile(`:\s*\d+\s*$`).MatchString(l) {
			t.Errorf("line %d ends in a bare number: %q", i, l)
		}
	}
}

func TestFinalLineSumsUpTheJob(t *testing.T) {
	st := &mapiclient.JobStatus{
		JobID: mapiclient.JobID{ID: 12}, JobState: "COMPLETE", JobType: "METRIC_RECONCILIATION", BucketName: "photos",
		StartTime: "2026-01-01T12:00:00Z", CompleteTime: "2026-01-01T12:00:01.5Z",
		JobStats: mapiclient.JobStats{Processed: 100, Failed: 2, Skipped: 3, Total: 105},
	}
	want := "job 12 COMPLETE: processed 100, failed 2, skipped 3, total 105 (METRIC_RECONCILIATION on photos, 1.5s)"
	if got := finalLine(st); got != want {
		t.Errorf("finalLine = %q, want %q", got, want)
	}
}

func TestALongFinalLineIsWrappedAtWords(t *testing.T) {
	st := &mapiclient.JobStatus{
		JobID: mapiclient.JobID{ID: 12}, JobState: "COMPLETE", JobType: "METRIC_RECONCILIATION",
		BucketName: "a-bucket-with-a-name-as-long-as-s3-allows-it-to-be-0123456789ab",
		JobStats:   mapiclient.JobStats{Processed: 1_000_000, Failed: 20_000, Skipped: 3_000, Total: 1_023_000, Bytes: 5e12},
		Message:    "3000 candidates were deleted or replaced before the scan reached them",
	}
	got := wrapText(finalLine(st), 79)
	for i, l := range strings.Split(got, "\n") {
		if len([]rune(l)) > 79 {
			t.Errorf("line %d is %d columns: %q", i, len([]rune(l)), l)
		}
		if i > 0 && !strings.HasPrefix(l, "  ") {
			t.Errorf("continuation line %d is not indented: %q", i, l)
		}
	}
	if strings.Join(strings.Fields(got), " ") != finalLine(st) {
		t.Errorf("wrapping lost words:\n%s", got)
	}
	if got := wrapText(strings.Repeat("x", 30), 10); got != "xxxxxxxxxx\n  xxxxxxxx\n  xxxxxxxx\n  xxxx" {
		t.Errorf("a word longer than a line: %q", got)
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
