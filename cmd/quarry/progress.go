package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

// rateWindow is how far back the rates look: long enough to smooth the
// steps of a checkpointing job, short enough to follow a change of pace.
const rateWindow = 10 * time.Second

// rateMeter turns successive counter readings into objects/s and bytes/s.
type rateMeter struct {
	samples []rateSample
}

type rateSample struct {
	at          time.Time
	done, bytes int64
}

// add records a reading and forgets readings that left the window (but
// keeps one reading at least rateWindow old, so the window stays full).
func (m *rateMeter) add(at time.Time, done, bytes int64) {
	m.samples = append(m.samples, rateSample{at, done, bytes})
	for len(m.samples) > 2 && at.Sub(m.samples[1].at) >= rateWindow {
		m.samples = m.samples[1:]
	}
}

// rates returns objects/s and bytes/s over the window; ok is false until
// two readings are at least 200 ms apart.
func (m *rateMeter) rates() (objects, bytes float64, ok bool) {
	if len(m.samples) < 2 {
		return 0, 0, false
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	dt := last.at.Sub(first.at).Seconds()
	if dt < 0.2 {
		return 0, 0, false
	}
	return float64(last.done-first.done) / dt, float64(last.bytes-first.bytes) / dt, true
}

// progressInfo is what a progress view shows of a job.
type progressInfo struct {
	id                  int32
	state               string
	done, failed, total int64 // done = processed + failed
	bytes               int64
	objRate, byteRate   float64
	hasRate             bool
}

func newProgressInfo(st *mapiclient.JobStatus, m *rateMeter) progressInfo {
	p := progressInfo{
		id:     st.JobID.ID,
		state:  st.JobState,
		done:   st.JobStats.Processed + st.JobStats.Failed,
		failed: st.JobStats.Failed,
		total:  st.JobStats.Total,
		bytes:  st.JobStats.Bytes,
	}
	p.objRate, p.byteRate, p.hasRate = m.rates()
	return p
}

// eta is the time left at the current rate; ok is false when unknown.
func (p progressInfo) eta() (time.Duration, bool) {
	if !p.hasRate || p.objRate <= 0 || p.total <= 0 || p.done >= p.total {
		return 0, false
	}
	secs := float64(p.total-p.done) / p.objRate
	return time.Duration(secs * float64(time.Second)).Round(time.Second), true
}

// details are the figures after the counts: failed, rates and ETA.
func (p progressInfo) details() string {
	parts := []string{fmt.Sprintf("failed %d", p.failed)}
	if p.hasRate {
		parts = append(parts, fmt.Sprintf("%.0f obj/s", p.objRate))
		if p.bytes > 0 {
			parts = append(parts, humanBytes(p.byteRate)+"/s")
		}
	}
	if eta, ok := p.eta(); ok {
		parts = append(parts, "ETA "+eta.String())
	}
	return strings.Join(parts, ", ")
}

// line is the one-line progress report of non-terminal output, e.g.
// "job 12 EXECUTING: 450/1000 (45%), failed 3, 120 obj/s, ETA 5s".
func (p progressInfo) line() string {
	counts := fmt.Sprint(p.done)
	if p.total > 0 {
		counts = fmt.Sprintf("%d/%d (%d%%)", p.done, p.total, p.done*100/p.total)
	}
	return fmt.Sprintf("job %d %s: %s, %s", p.id, p.state, counts, p.details())
}

// progressView shows a job's progress while it is watched.
type progressView interface {
	show(p progressInfo, now time.Time)
	close()
}

// lineView prints a progress line per second, for output that is not a
// terminal (logs, CI): no redrawing, nothing but whole lines.
type lineView struct {
	w         io.Writer
	lastAt    time.Time
	lastState string
}

func (v *lineView) show(p progressInfo, now time.Time) {
	if now.Sub(v.lastAt) < time.Second && p.state == v.lastState {
		return
	}
	v.lastAt, v.lastState = now, p.state
	fmt.Fprintln(v.w, p.line())
}

func (v *lineView) close() {}

// barView redraws a progress bar on a terminal.
type barView struct {
	w   io.Writer
	bar *progressbar.ProgressBar
	max int64
}

func newBarView(w io.Writer) *barView {
	return &barView{w: w}
}

func (v *barView) show(p progressInfo, _ time.Time) {
	max := p.total
	if p.done > max {
		max = p.done // a server that does not count candidates (total 0), or counted too few
	}
	if max <= 0 {
		max = -1 // unknown yet: a spinner
	}
	if v.bar == nil {
		v.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(v.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionSpinnerType(14),
			progressbar.OptionSetSpinnerChangeInterval(0), // redraw on our polls only
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
		v.max = max
	} else if max != v.max {
		v.bar.ChangeMax64(max)
		v.max = max
	}
	_ = v.bar.Set64(p.done)                                                  // errors are about drawing past the end: nothing to do
	v.bar.Describe(fmt.Sprintf("job %d %s, %s", p.id, p.state, p.details())) // redraws
}

func (v *barView) close() {
	if v.bar != nil {
		_ = v.bar.Exit()
		fmt.Fprintln(v.w)
	}
}
