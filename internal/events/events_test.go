package events

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func openStore(t *testing.T) meta.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTestLog(t *testing.T) (*Log, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	return New(Config{Meta: openStore(t), Now: c.Now, FloodKeys: 3}), c
}

func all(t *testing.T, l *Log) []meta.Event {
	t.Helper()
	es, err := l.List(context.Background(), Viewer{Admin: true}, Query{Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestEveryEventTypeHasAStableUniqueIDAndAKnownCategory(t *testing.T) {
	ids, names := map[int]bool{}, map[string]bool{}
	categories := []string{CategoryJob, CategoryUser, CategoryCredentials, CategoryReplication, CategoryNotification,
		CategoryBucket, CategorySecurity, CategoryCertificate}
	for _, ty := range Types() {
		switch {
		case ty.ID < 20000 || ty.ID > 29999:
			t.Errorf("%s: id %d is outside Quarry's range 20000-29999", ty.Name, ty.ID)
		case ids[ty.ID] || names[ty.Name]:
			t.Errorf("%s (%d) is listed twice", ty.Name, ty.ID)
		case !slices.Contains(categories, ty.Category):
			t.Errorf("%s: unknown category %q", ty.Name, ty.Category)
		case !ValidSeverity(ty.Severity):
			t.Errorf("%s: unknown severity %q", ty.Name, ty.Severity)
		case ty.Meaning == "":
			t.Errorf("%s says nothing of its meaning", ty.Name)
		}
		ids[ty.ID], names[ty.Name] = true, true
	}
}

func TestAppendStoresTheTypesFieldsAndDefaults(t *testing.T) {
	l, _ := newTestLog(t)
	before := time.Now().Add(-time.Second)
	err := l.cfg.Meta.Update(context.Background(), func(tx meta.Tx) error {
		return Append(tx, Event{Type: UserCreated, Subject: "user/alice", Message: "user alice created",
			Actor: Actor{ID: 1, Name: "root"}, OwnerID: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	es := all(t, l)
	if len(es) != 1 {
		t.Fatalf("%d events, want 1", len(es))
	}
	e := es[0]
	if e.TypeID != UserCreated.ID || e.Category != CategoryUser || e.Severity != Info || !e.GMS ||
		e.ActorID != 1 || e.ActorName != "root" || e.OwnerID != 2 || e.Count != 1 || e.Time.Before(before) {
		t.Fatalf("stored %+v", e)
	}
}

func TestAUserWhoIsNotAnAdminSeesOnlyItsOwnEvents(t *testing.T) {
	l, _ := newTestLog(t)
	ctx := context.Background()
	for _, e := range []Event{
		{Type: JobCreated, Subject: "job/1", OwnerID: 2, Actor: Actor{ID: 2, Name: "alice"}},
		{Type: UserCreated, Subject: "user/bob", OwnerID: 3, Actor: Actor{ID: 1, Name: "root"}},
		{Type: LoginLockedOut, Subject: "login/10.0.0.1"},
	} {
		if err := l.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	subjects := func(v Viewer, q Query) []string {
		q.Count = 100
		es, err := l.List(ctx, v, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Subject)
		}
		slices.Sort(out)
		return out
	}
	if got := subjects(Viewer{UserID: 2}, Query{}); !slices.Equal(got, []string{"job/1"}) {
		t.Errorf("alice sees %v, want only her job", got)
	}
	if got := subjects(Viewer{UserID: 1}, Query{}); len(got) != 0 {
		t.Errorf("a user who owns nothing sees %v (what it did to others is theirs)", got)
	}
	if got := subjects(Viewer{UserID: 1, Admin: true}, Query{}); len(got) != 3 {
		t.Errorf("an admin sees %v, want all three", got)
	}
	if got := subjects(Viewer{UserID: 1, Admin: true}, Query{UserID: 1}); !slices.Equal(got, []string{"user/bob"}) {
		t.Errorf("the admin filtering by its own id sees %v, want what it did", got)
	}
	if got := subjects(Viewer{Admin: true}, Query{GMSOnly: true}); !slices.Equal(got, []string{"login/10.0.0.1", "user/bob"}) {
		t.Errorf("GMS events: %v", got)
	}
}

func TestAFloodFromOneSourceIsOneEventPerWindowWithItsCount(t *testing.T) {
	l, c := newTestLog(t)
	ctx := context.Background()
	refused := func(user string) Event {
		return Event{Type: LoginRefused, Subject: "login/" + user, Message: "login refused for " + user}
	}
	l.RecordFlood(ctx, "alice|10.0.0.1", refused("alice"))
	if es := all(t, l); len(es) != 1 || es[0].Count != 1 {
		t.Fatalf("the first refusal: %+v, want one event at once", es)
	}
	for range 49 {
		c.Advance(time.Second)
		l.RecordFlood(ctx, "alice|10.0.0.1", refused("alice"))
	}
	l.RecordFlood(ctx, "bob|10.0.0.1", refused("bob"))
	if es := all(t, l); len(es) != 2 {
		t.Fatalf("within the window: %d events, want alice's first and bob's first", len(es))
	}
	l.flushFloods(ctx, c.Now()) // the window is still open: nothing
	if n := len(all(t, l)); n != 2 {
		t.Fatalf("a flush before the window closed wrote %d events", n-2)
	}
	c.Advance(11 * time.Second)
	l.flushFloods(ctx, c.Now())
	es := all(t, l)
	if len(es) != 3 || es[0].Subject != "login/alice" || es[0].Count != 49 || !strings.Contains(es[0].Message, "49 times") {
		t.Fatalf("after the window: %+v, want one alice event counting 49", es)
	}
	// The flush opened the next window: a refusal now waits for it.
	l.RecordFlood(ctx, "alice|10.0.0.1", refused("alice"))
	if n := len(all(t, l)); n != 3 {
		t.Fatalf("a refusal in the next window was written at once")
	}
	c.Advance(2 * time.Minute)
	// The window closed unseen by a flush: the next refusal writes both.
	l.RecordFlood(ctx, "alice|10.0.0.1", refused("alice"))
	es = all(t, l)
	if len(es) != 4 || es[0].Count != 2 {
		t.Fatalf("after an unflushed window: %+v, want one more event counting 2", es[0])
	}
	// Quiet windows are forgotten; a refusal after that is written at once.
	c.Advance(2 * time.Minute)
	l.flushFloods(ctx, c.Now())
	c.Advance(2 * time.Minute)
	l.flushFloods(ctx, c.Now())
	l.mu.Lock()
	n := len(l.floods)
	l.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d windows remembered after they stayed quiet", n)
	}
	var total int64
	for _, e := range all(t, l) {
		total += e.Count
	}
	if total != 1+49+1+1+1 {
		t.Errorf("the events count %d refusals, want every one of the %d", total, 1+49+1+1+1)
	}
}

func TestSourcesPastTheLimitAreCountedTogether(t *testing.T) {
	l, c := newTestLog(t) // FloodKeys 3
	ctx := context.Background()
	for _, src := range []string{"a", "b", "c", "d", "e", "f"} {
		l.RecordFlood(ctx, src, Event{Type: LoginRefused, Subject: "login/" + src, OwnerID: 7, Message: "refused " + src})
	}
	c.Advance(2 * time.Minute)
	l.flushFloods(ctx, c.Now())
	es := all(t, l)
	var total int64
	var overflow []meta.Event
	for _, e := range es {
		total += e.Count
		if e.Subject == "" {
			overflow = append(overflow, e)
		}
	}
	if total != 6 {
		t.Errorf("the events count %d refusals, want 6", total)
	}
	if len(overflow) != 2 || overflow[0].Count+overflow[1].Count != 3 || overflow[0].OwnerID != 0 {
		t.Errorf("sources past the limit: %+v, want their 3 refusals in events of no one user", overflow)
	}
	if len(es) != 5 {
		t.Errorf("%d events, want 3 sources, the overflow's first and its count", len(es))
	}
}

func TestRunWritesOpenCountsWhenItStops(t *testing.T) {
	l, c := newTestLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Run(ctx) }()
	for range 3 {
		l.RecordFlood(context.Background(), "k", Event{Type: LoginLockedOut, Subject: "login/k"})
		c.Advance(time.Second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, e := range all(t, l) {
		total += e.Count
	}
	if total != 3 {
		t.Fatalf("after Run stopped the events count %d occurrences, want 3", total)
	}
}

func TestRetentionRemovesOnlyEventsOlderThanIt(t *testing.T) {
	l, c := newTestLog(t)
	ctx := context.Background()
	old := c.Now()
	if err := l.Record(ctx, Event{Type: JobCreated, Subject: "job/old"}); err != nil {
		t.Fatal(err)
	}
	c.Advance(DefaultRetention - time.Hour)
	if err := l.Record(ctx, Event{Type: JobCreated, Subject: "job/new"}); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Hour)
	l.reapOnce(ctx)
	es := all(t, l)
	if len(es) != 1 || es[0].Subject != "job/new" {
		t.Fatalf("after retention: %+v, want only the event newer than %v", es, old.Add(DefaultRetention))
	}
}

func TestANilLogRecordsNothingAndDoesNotPanic(t *testing.T) {
	var l *Log
	if err := l.Record(context.Background(), Event{Type: JobCreated}); err != nil {
		t.Fatal(err)
	}
	l.RecordFlood(context.Background(), "k", Event{Type: LoginRefused})
}

func TestTheActorTravelsInTheContext(t *testing.T) {
	ctx := WithActor(context.Background(), Actor{ID: 4, Name: "carol"})
	if a := ActorFrom(ctx); a.ID != 4 || a.Name != "carol" {
		t.Fatalf("ActorFrom = %+v", a)
	}
	if a := ActorFrom(context.Background()); a != (Actor{}) {
		t.Fatalf("no actor gave %+v", a)
	}
}

func TestTheDocumentationListsEveryEventType(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "MAPI.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range Types() {
		gms := ""
		if ty.GMS {
			gms = "yes"
		}
		row := fmt.Sprintf("| %d | `%s` | %s | %s | %s |", ty.ID, ty.Name, ty.Category, ty.Severity, gms)
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/MAPI.md has no row %q", row)
		}
	}
}
