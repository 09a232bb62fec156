package metatest

import (
	"slices"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

func appendEvent(t *testing.T, s meta.Store, e meta.Event) meta.Event {
	t.Helper()
	update(t, s, func(tx meta.Tx) error { return tx.AppendEvent(&e) })
	if e.ID <= 0 {
		t.Fatalf("AppendEvent set ID %d, want > 0", e.ID)
	}
	return e
}

func listEvents(t *testing.T, s meta.Store, f meta.EventFilter) []meta.Event {
	t.Helper()
	var es []meta.Event
	view(t, s, func(tx meta.Tx) error {
		var err error
		es, err = tx.ListEvents(f)
		wantErr(t, "list events", err, nil)
		return nil
	})
	return es
}

func eventIDs(es []meta.Event) []int64 {
	ids := []int64{}
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

// eventAt is an INFO event of type 1 at second sec.
func eventAt(sec int64) meta.Event {
	return meta.Event{Time: at(sec), TypeID: 1, Category: "JOB", Severity: "INFO", Subject: "job/1", Count: 1}
}

func testEvents(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Run("an appended event reads back as written", func(t *testing.T) {
		s := open(t)
		want := appendEvent(t, s, meta.Event{Time: at(5), TypeID: 20601, Category: "SECURITY", Severity: "WARNING",
			GMS: true, Subject: "login/ålice", Message: "refused: wrong password", ActorID: 3, ActorName: "root",
			OwnerID: 7, Count: 12})
		got := listEvents(t, s, meta.EventFilter{})
		if len(got) != 1 {
			t.Fatalf("listed %d events, want 1", len(got))
		}
		g := got[0]
		if g.ID != want.ID || !sameTime(g.Time, want.Time) || g.TypeID != want.TypeID || g.Category != want.Category ||
			g.Severity != want.Severity || g.GMS != want.GMS || g.Subject != want.Subject || g.Message != want.Message ||
			g.ActorID != want.ActorID || g.ActorName != want.ActorName || g.OwnerID != want.OwnerID || g.Count != want.Count {
			t.Errorf("event = %+v, want %+v", g, want)
		}
	})

	t.Run("a count of zero is stored as one and ids grow", func(t *testing.T) {
		s := open(t)
		e := eventAt(1)
		e.Count = 0
		a := appendEvent(t, s, e)
		b := appendEvent(t, s, e)
		if b.ID <= a.ID {
			t.Errorf("second id %d is not above the first %d", b.ID, a.ID)
		}
		for _, got := range listEvents(t, s, meta.EventFilter{}) {
			if got.Count != 1 {
				t.Errorf("event %d has count %d, want 1", got.ID, got.Count)
			}
		}
	})

	t.Run("events list newest first, by time then id, up to the limit", func(t *testing.T) {
		s := open(t)
		late := appendEvent(t, s, eventAt(30))
		early := appendEvent(t, s, eventAt(10))
		tieA := appendEvent(t, s, eventAt(20))
		tieB := appendEvent(t, s, eventAt(20))
		got := eventIDs(listEvents(t, s, meta.EventFilter{}))
		if want := []int64{late.ID, tieB.ID, tieA.ID, early.ID}; !slices.Equal(got, want) {
			t.Errorf("order %v, want %v", got, want)
		}
		got = eventIDs(listEvents(t, s, meta.EventFilter{Limit: 2}))
		if want := []int64{late.ID, tieB.ID}; !slices.Equal(got, want) {
			t.Errorf("limit 2 gave %v, want %v", got, want)
		}
	})

	t.Run("each filter selects only what it names", func(t *testing.T) {
		s := open(t)
		mk := func(sec int64, edit func(*meta.Event)) meta.Event {
			e := eventAt(sec)
			edit(&e)
			return appendEvent(t, s, e)
		}
		jobByAlice := mk(10, func(e *meta.Event) { e.ActorID, e.OwnerID = 2, 2 })
		userByRoot := mk(20, func(e *meta.Event) {
			e.TypeID, e.Category, e.GMS, e.ActorID, e.OwnerID = 2, "USER", true, 1, 2
		})
		warning := mk(30, func(e *meta.Event) { e.Severity, e.ActorID, e.OwnerID = "WARNING", 1, 3 })
		system := mk(40, func(e *meta.Event) { e.TypeID, e.Severity, e.GMS = 3, "SEVERE", true })
		for _, c := range []struct {
			name string
			f    meta.EventFilter
			want []meta.Event
		}{
			{"no filter lists all", meta.EventFilter{}, []meta.Event{system, warning, userByRoot, jobByAlice}},
			{"since is inclusive", meta.EventFilter{Since: at(20)}, []meta.Event{system, warning, userByRoot}},
			{"until is inclusive", meta.EventFilter{Until: at(20)}, []meta.Event{userByRoot, jobByAlice}},
			{"since and until", meta.EventFilter{Since: at(15), Until: at(35)}, []meta.Event{warning, userByRoot}},
			{"until before every event", meta.EventFilter{Until: at(5)}, nil},
			{"severity", meta.EventFilter{Severity: "WARNING"}, []meta.Event{warning}},
			{"category", meta.EventFilter{Category: "USER"}, []meta.Event{userByRoot}},
			{"type", meta.EventFilter{TypeID: 3}, []meta.Event{system}},
			{"user matches owner or actor", meta.EventFilter{UserID: 1}, []meta.Event{warning, userByRoot}},
			{"user as owner only", meta.EventFilter{UserID: 2}, []meta.Event{userByRoot, jobByAlice}},
			{"owner", meta.EventFilter{OwnerID: 2}, []meta.Event{userByRoot, jobByAlice}},
			{"owner and user", meta.EventFilter{OwnerID: 2, UserID: 1}, []meta.Event{userByRoot}},
			{"owner and time", meta.EventFilter{OwnerID: 2, Since: at(15)}, []meta.Event{userByRoot}},
			{"gms only", meta.EventFilter{GMSOnly: true}, []meta.Event{system, userByRoot}},
			{"filters combine", meta.EventFilter{Severity: "INFO", Category: "JOB", UserID: 2}, []meta.Event{jobByAlice}},
			{"a category no event has", meta.EventFilter{Category: "NOPE"}, nil},
		} {
			got := eventIDs(listEvents(t, s, c.f))
			if want := eventIDs(c.want); !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", c.name, got, want)
			}
		}
	})

	t.Run("retention removes the oldest events before the cutoff, up to a limit", func(t *testing.T) {
		s := open(t)
		var all []meta.Event
		for _, sec := range []int64{10, 11, 12, 13, 20} {
			all = append(all, appendEvent(t, s, eventAt(sec)))
		}
		deleted := func(cutoff time.Time, limit int) int {
			var n int
			update(t, s, func(tx meta.Tx) error {
				var err error
				n, err = tx.DeleteEventsBefore(cutoff, limit)
				return err
			})
			return n
		}
		if n := deleted(at(13), 2); n != 2 {
			t.Errorf("deleted %d with limit 2, want 2", n)
		}
		if got, want := eventIDs(listEvents(t, s, meta.EventFilter{})), []int64{all[4].ID, all[3].ID, all[2].ID}; !slices.Equal(got, want) {
			t.Errorf("after a bounded delete: %v, want the newest three %v", got, want)
		}
		if n := deleted(at(13), 0); n != 1 {
			t.Errorf("deleted %d without a limit, want the 1 left before the cutoff", n)
		}
		if n := deleted(at(13), 0); n != 0 {
			t.Errorf("a second delete removed %d, want 0", n)
		}
		if got, want := eventIDs(listEvents(t, s, meta.EventFilter{})), []int64{all[4].ID, all[3].ID}; !slices.Equal(got, want) {
			t.Errorf("left %v, want %v (an event at the cutoff stays)", got, want)
		}
	})
}
