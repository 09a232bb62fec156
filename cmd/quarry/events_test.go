package main

import (
	"testing"
	"time"
)

func TestEventsFlagsAreReadOrRefusedBeforeAnyCall(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name              string
		since, start, end string
		from, to          time.Time
		bad               bool
	}{
		{name: "nothing: no bounds"},
		{name: "since an hour", since: "1h", from: now.Add(-time.Hour)},
		{name: "since days", since: "7d", from: now.Add(-7 * 24 * time.Hour)},
		{name: "a start and an end", start: "2026-02-01", end: "2026-02-02T10:00:00+01:00",
			from: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)},
		{name: "a time without a zone is UTC", start: "2026-02-01T08:30", from: time.Date(2026, 2, 1, 8, 30, 0, 0, time.UTC)},
		{name: "since with a start", since: "1h", start: "2026-02-01", bad: true},
		{name: "a negative since", since: "-1h", bad: true},
		{name: "zero days", since: "0d", bad: true},
		{name: "a start that is no time", start: "yesterday", bad: true},
		{name: "a start after the end", start: "2026-02-02", end: "2026-02-01", bad: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			from, to, err := eventWindow(c.since, c.start, c.end, now)
			switch {
			case c.bad && err == nil:
				t.Fatalf("accepted: %v to %v", from, to)
			case !c.bad && err != nil:
				t.Fatal(err)
			case !c.bad && (!from.Equal(c.from) || !to.Equal(c.to)):
				t.Fatalf("window %v to %v, want %v to %v", from, to, c.from, c.to)
			}
		})
	}
}

func TestAnEventTypeIsNamedByIDOrName(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want int
		bad  bool
	}{{"", 0, false}, {"20101", 20101, false}, {"job_created", 20101, false}, {"LOGIN_LOCKED_OUT", 20602, false},
		{"NO_SUCH_TYPE", 0, true}, {"-3", 0, true}} {
		got, err := eventTypeID(c.arg)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("--type %q: %d, %v; want %d (refused: %v)", c.arg, got, err, c.want, c.bad)
		}
	}
}
