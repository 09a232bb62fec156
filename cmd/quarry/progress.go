package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/mapiclient"
)

// rateWindow is how far back the rates look: long enough to smooth the
// steps of a checkpointing job, short enough to follow a change of pace.
const rateWindow = 10 * time.Second

// plainEvery is how often output that is not a terminal gets a progress
// line while the job stays in one state (and one step).
const plainEvery = 5 * time.Second

// plainWidth is the width lines are fitted to when the output is not a
// terminal (a log, a CI job): the classic 80 columns.
const plainWidth = 80

// rateMeter turns successive readings of one quantity into a rate per
// second over the last rateWindow. A reading of another quantity (the job
// moved on to another phase) starts afresh, so that a phase's rate is its
// own and not the previous phase's fading.
type rateMeter struct {
	key     string
	samples []rateSample
}

type rateSample struct {
	at          time.Time
	done, bytes int64
}

// add records a reading of the quantity key and forgets readings that
// left the window (but keeps one reading at least rateWindow old, so the
// window stays full).
func (m *rateMeter) add(at time.Time, key string, done, bytes int64) {
	if key != m.key {
		m.key, m.samples = key, nil
	}
	m.samples = append(m.samples, rateSample{at, done, bytes})
	for len(m.samples) > 2 && at.Sub(m.samples[1].at) >= rateWindow {
		m.samples = m.samples[1:]
	}
}

// rates returns units/s and bytes/s over the window; ok is false until
// two readings are at least 200 ms apart.
func (m *rateMeter) rates() (units, bytes float64, ok bool) {
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

// Steps the CLI names itself, when the job reports no phase of its own.
const (
	stepCounting  = "counting candidates"
	stepFinishing = "finishing"
)

// progressInfo is what a progress view shows of a job at one poll: its
// counters, and the progress of the phase it is in, which is either the
// candidates the counters count or what the job reports of work they do
// not show (the phase in its result).
type progressInfo struct {
	id    int32
	state string
	stats mapiclient.JobStats

	step      string // what the phase does; "" when it handles the candidates
	unit      string // what done and of count: "obj" for the candidates
	done, of  int64  // of is 0 while unknown
	estimated bool   // of is a guess that done may pass
	candidate bool   // done and of count the candidates (bytes are theirs)

	rate, byteRate float64 // per second, over the window
	hasRate        bool
}

// newProgressInfo reads a status and feeds the meter with the phase's
// progress.
func newProgressInfo(st *mapiclient.JobStatus, m *rateMeter, now time.Time) progressInfo {
	s := st.JobStats
	p := progressInfo{id: st.JobID.ID, state: st.JobState, stats: s}
	handled := s.Processed + s.Failed + s.Skipped
	if ph, ok := st.Phase(); ok {
		p.step, p.unit, p.done, p.of, p.estimated = ph.Step, ph.Unit, ph.Done, ph.Total, ph.Estimated
	} else {
		// The candidates. The total may grow while the job runs (objects
		// written meanwhile); a server that does not count them sends 0.
		p.unit, p.done, p.candidate = "obj", handled, true
		if s.Total > 0 {
			p.of = max(s.Total, handled)
		}
		switch {
		case st.JobState == mapiclient.StateExamining:
			p.step, p.done, p.of = stepCounting, 0, 0
		case st.JobState == mapiclient.StateExecuting && p.of > 0 && handled >= p.of:
			// Every candidate is handled and the job reports nothing of
			// what is left: the last transaction.
			p.step, p.of = stepFinishing, 0
		}
	}
	if p.unit == "" {
		p.unit = "items"
	}
	if p.of > 0 {
		p.of = max(p.of, p.done) // an estimate passed
	}
	var bytes int64
	if p.candidate {
		bytes = s.Bytes
	}
	m.add(now, st.JobState+"\x00"+p.step, p.done, bytes)
	p.rate, p.byteRate, p.hasRate = m.rates()
	return p
}

// determinate reports whether the phase's end is known.
func (p progressInfo) determinate() bool {
	return p.of > 0 && p.step != stepCounting && p.step != stepFinishing
}

// fraction is how far the phase is, 0 to 1.
func (p progressInfo) fraction() float64 {
	if !p.determinate() {
		return 0
	}
	return min(1, float64(p.done)/float64(p.of))
}

// eta is the time the phase needs at its current rate; ok is false when
// unknown.
func (p progressInfo) eta() (time.Duration, bool) {
	if !p.determinate() || !p.hasRate || p.rate <= 0 || p.done >= p.of {
		return 0, false
	}
	secs := float64(p.of-p.done) / p.rate
	return time.Duration(secs * float64(time.Second)).Round(time.Second), true
}

func (p progressInfo) ofText() string {
	if p.estimated {
		return fmt.Sprintf("~%d", p.of)
	}
	return fmt.Sprint(p.of)
}

func (p progressInfo) percent() string { return fmt.Sprintf("%d%%", int(p.fraction()*100)) }

func (p progressInfo) rateText() string {
	if p.rate < 10 {
		return fmt.Sprintf("%.1f %s/s", p.rate, p.unit)
	}
	return fmt.Sprintf("%.0f %s/s", p.rate, p.unit)
}

func (p progressInfo) etaText() (string, bool) {
	eta, ok := p.eta()
	if !ok {
		return "", false
	}
	text := eta.String()
	if eta < time.Second {
		text = "<1s"
	}
	if p.estimated {
		return "ETA ~" + text, true
	}
	return "ETA " + text, true
}

// countParts are the job's counters in words, "processed 4490, failed 3,
// skipped 7, total 10000", as parts of a line: prio for each, but when
// the line is too long a counter at zero goes first, then the total
// (which the line may show otherwise). sep comes before the first.
func (p progressInfo) countParts(prio int, sep string, withTotal bool) []part {
	s := p.stats
	zeroPrio := max(prio, 3)
	pick := func(n int64) int {
		if n == 0 {
			return zeroPrio + 1 // before the total
		}
		return prio
	}
	parts := []part{
		{text: fmt.Sprintf("processed %d", s.Processed), prio: prio, sep: sep},
		{text: fmt.Sprintf("failed %d", s.Failed), prio: pick(s.Failed), sep: ", "},
		{text: fmt.Sprintf("skipped %d", s.Skipped), prio: pick(s.Skipped), sep: ", "},
	}
	if withTotal && s.Total > 0 {
		parts = append(parts, part{text: fmt.Sprintf("total %d", s.Total), prio: zeroPrio, sep: ", "})
	}
	return parts
}

// part is one piece of a progress line: lines that do not fit drop the
// parts of highest prio first (prio 0 is never dropped, only cut).
type part struct {
	text string
	prio int
	sep  string // written before it, unless it comes first
}

// fit joins parts into at most width columns: it drops the least
// important parts until the rest fit, then cuts what is left with "...".
func fit(parts []part, width int) string {
	for {
		s := joinParts(parts)
		if runeLen(s) <= width {
			return s
		}
		worst := -1
		for i, pt := range parts {
			if pt.prio > 0 && (worst < 0 || pt.prio >= parts[worst].prio) {
				worst = i
			}
		}
		if worst < 0 {
			return truncate(s, width)
		}
		parts = append(parts[:worst:worst], parts[worst+1:]...)
	}
}

func joinParts(parts []part) string {
	var b strings.Builder
	for i, pt := range parts {
		if i > 0 {
			b.WriteString(pt.sep)
		}
		b.WriteString(pt.text)
	}
	return b.String()
}

func runeLen(s string) int { return len([]rune(s)) }

// truncate cuts s to width columns, marking the cut with "...".
func truncate(s string, width int) string {
	r := []rune(s)
	switch {
	case len(r) <= width:
		return s
	case width <= 3:
		return string(r[:max(0, width)])
	}
	return string(r[:width-3]) + "..."
}

// padRight makes s exactly width columns: cut, or padded with spaces.
func padRight(s string, width int) string {
	s = truncate(s, width)
	return s + strings.Repeat(" ", max(0, width-runeLen(s)))
}

// line is the progress report of output that is not a terminal, fitted to
// width, e.g. "job 12 PROCESSING 45% of 10000: processed 4490, failed 3,
// skipped 7; ETA 45s, 120 obj/s" or, in a phase the job reports,
// "job 12 EXECUTING 42%: checking blobs, 2100 of ~5000 blobs; ETA 2s".
func (p progressInfo) line(width int) string {
	head := fmt.Sprintf("job %d %s", p.id, p.state)
	var parts []part
	switch {
	case p.step == "" && p.determinate():
		parts = append(parts, part{text: fmt.Sprintf("%s %s of %d:", head, p.percent(), p.of)})
		parts = append(parts, p.countParts(0, " ", false)...)
	case p.step == "":
		parts = append(parts, part{text: head + ":"})
		parts = append(parts, p.countParts(0, " ", false)...)
	case p.determinate():
		parts = append(parts, part{text: fmt.Sprintf("%s %s: %s, %d of %s %s", head, p.percent(), p.step, p.done, p.ofText(), p.unit)})
	case p.candidate:
		parts = append(parts, part{text: head + ": " + p.step})
	default:
		parts = append(parts, part{text: fmt.Sprintf("%s: %s, %d %s", head, p.step, p.done, p.unit)})
	}
	if eta, ok := p.etaText(); ok {
		parts = append(parts, part{text: eta, prio: 1, sep: "; "})
	}
	if p.hasRate && p.determinate() {
		sep := "; "
		if _, ok := p.eta(); ok {
			sep = ", "
		}
		parts = append(parts, part{text: p.rateText(), prio: 2, sep: sep})
	}
	if p.step != "" {
		// The counters do not move in a phase the job reports: they come
		// last and are the first to go. Counting and finishing have
		// nothing else to show.
		prio := 4
		if p.candidate {
			prio = 0
		}
		parts = append(parts, p.countParts(prio, "; ", true)...)
	}
	return fit(parts, width)
}

// Bar layout on a terminal: at most maxBarWidth columns, a third of what
// the text after the job and state leaves, and none below minBarWidth.
const (
	maxBarWidth = 32
	minBarWidth = 8
)

// barLine is the progress report of a terminal, exactly width columns
// whatever the figures, so that the bar stays in place from frame to
// frame: "job 12 PROCESSING [=======>      ] 4500/10000 (45%), 3 failed, ETA 45s".
// frame animates the bar of a phase whose end is unknown.
func (p progressInfo) barLine(width, frame int) string {
	// State names are padded to the longest (PROCESSING), so the bar
	// does not move when the state changes.
	head := fmt.Sprintf("job %d %-10s ", p.id, p.state)
	rest := width - runeLen(head)
	barWidth := min(maxBarWidth, rest/3)
	if barWidth < minBarWidth {
		return padRight(head+p.tail(rest), width)
	}
	return head + p.bar(barWidth, frame) + " " + padRight(p.tail(rest-barWidth-1), rest-barWidth-1)
}

// bar draws "[=====>    ]" in width columns, or a block that moves
// back and forth when the end is unknown.
func (p progressInfo) bar(width, frame int) string {
	inner := width - 2
	cells := []rune(strings.Repeat(" ", inner))
	if p.determinate() {
		n := int(p.fraction() * float64(inner))
		for i := range n {
			cells[i] = '='
		}
		if n < inner && n > 0 {
			cells[n-1] = '>'
		}
	} else {
		const block = 3
		span := max(1, inner-block+1)
		pos := frame % (2 * span)
		if pos >= span {
			pos = 2*span - 1 - pos // on the way back
		}
		for i := pos; i < min(inner, pos+block); i++ {
			cells[i] = '='
		}
	}
	return "[" + string(cells) + "]"
}

// tail is what follows the bar, fitted to width.
func (p progressInfo) tail(width int) string {
	var parts []part
	if p.step != "" {
		parts = append(parts, part{text: p.step, prio: 1})
	}
	switch {
	case p.determinate():
		count := fmt.Sprintf("%d/%s", p.done, p.ofText())
		if !p.candidate {
			count += " " + p.unit
		}
		parts = append(parts,
			part{text: count, sep: " "},
			part{text: "(" + p.percent() + ")", prio: 3, sep: " "})
	case !p.candidate:
		parts = append(parts, part{text: fmt.Sprintf("%d %s", p.done, p.unit), sep: " "})
	case p.step == "":
		parts = append(parts, part{text: fmt.Sprintf("%d handled", p.done), sep: " "})
	}
	if p.stats.Failed > 0 {
		// Failures matter while they are being made.
		prio := 5
		if p.candidate {
			prio = 1
		}
		parts = append(parts, part{text: fmt.Sprintf("%d failed", p.stats.Failed), prio: prio, sep: ", "})
	}
	if p.stats.Skipped > 0 {
		parts = append(parts, part{text: fmt.Sprintf("%d skipped", p.stats.Skipped), prio: 5, sep: ", "})
	}
	if p.hasRate && p.determinate() {
		parts = append(parts, part{text: p.rateText(), prio: 4, sep: ", "})
		if p.candidate && p.stats.Bytes > 0 {
			parts = append(parts, part{text: humanBytes(p.byteRate) + "/s", prio: 6, sep: ", "})
		}
	}
	if eta, ok := p.etaText(); ok {
		parts = append(parts, part{text: eta, prio: 2, sep: ", "})
	}
	if len(parts) > 0 && parts[0].sep != "" {
		parts[0].sep = ""
	}
	return fit(parts, width)
}

// progressView shows a job's progress while it is watched.
type progressView interface {
	show(p progressInfo, now time.Time)
	close()
}

// lineView prints whole lines for output that is not a terminal (logs,
// CI): one when the job's state or step changes, and every plainEvery
// while it does not. Each fits plainWidth columns (less one, as on a
// terminal).
type lineView struct {
	w        io.Writer
	lastAt   time.Time
	lastStep string
}

func (v *lineView) show(p progressInfo, now time.Time) {
	step := p.state + "\x00" + p.step
	if step == v.lastStep && now.Sub(v.lastAt) < plainEvery {
		return
	}
	v.lastAt, v.lastStep = now, step
	fmt.Fprintln(v.w, p.line(plainWidth-1))
}

func (v *lineView) close() {}

// barView redraws one line on a terminal: a bar and figures that always
// fill the terminal's width less one column (writing the last column
// makes some terminals wrap), so nothing wraps and nothing moves.
type barView struct {
	w     io.Writer
	width func() int // the terminal's width now
	frame int
	drawn bool
}

func (v *barView) show(p progressInfo, _ time.Time) {
	line := p.barLine(v.width()-1, v.frame)
	v.frame++
	// \r and erase the line: a terminal made narrower meanwhile may have
	// wrapped the last one.
	fmt.Fprint(v.w, "\r\x1b[K"+line)
	v.drawn = true
}

// close erases the bar, so that the final status takes its line.
func (v *barView) close() {
	if v.drawn {
		fmt.Fprint(v.w, "\r\x1b[K")
	}
}

// wrapText breaks s into lines of at most width columns at spaces; the
// lines after the first are indented by two spaces. A word longer than a
// line is cut.
func wrapText(s string, width int) string {
	const indent = "  "
	var (
		lines []string
		cur   string
	)
	for _, word := range strings.Fields(s) {
		for {
			if cur == "" {
				prefix := ""
				if len(lines) > 0 {
					prefix = indent
				}
				room := width - runeLen(prefix)
				if runeLen(word) > room && room > 0 {
					r := []rune(word)
					lines = append(lines, prefix+string(r[:room]))
					word = string(r[room:])
					continue
				}
				cur = prefix + word
				break
			}
			if runeLen(cur)+1+runeLen(word) <= width {
				cur += " " + word
				break
			}
			lines = append(lines, cur)
			cur = ""
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}
