package mapiclient

import (
	"testing"
	"time"
)

func TestAnEventQuerySendsOnlyTheFiltersItSets(t *testing.T) {
	start := time.Date(2025, 2, 27, 21, 31, 49, 34_000_000, time.FixedZone("CET", 3600))
	q := EventQuery{Start: start, Severity: "WARNING", UserID: 7, Count: 20}
	got := q.values().Encode()
	want := "count=20&severity=WARNING&startTimestamp=2025-02-27T20%3A31%3A49.034Z&user=7"
	if got != want {
		t.Fatalf("query %q, want %q", got, want)
	}
	if got := (EventQuery{}).values().Encode(); got != "" {
		t.Fatalf("an empty query sends %q", got)
	}
}
