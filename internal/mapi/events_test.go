package mapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// getEvents calls GET /mapi/v1/<endpoint>?<rawQuery> as user, with the
// query as the vendor's client sends it (not URL-encoded), and the XSRF
// header and cookie it sends on every call.
func (h *harness) getEvents(user, endpoint, rawQuery string) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+"/mapi/v1/"+endpoint, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.URL.RawQuery = rawQuery
	req.Header.Set("Authorization", "Bearer "+h.token(user))
	x := h.csrf()
	req.Header.Set(csrfHeader, x)
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: x})
	return h.send(req)
}

// eventItems returns the events of an answer.
func eventItems(t *testing.T, r response) []map[string]any {
	t.Helper()
	wantOK(t, r)
	list, ok := r.get("events").([]any)
	if !ok {
		t.Fatalf("no events array: %s", r.raw)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = e.(map[string]any)
	}
	return out
}

func subjectsOf(items []map[string]any) []string {
	var out []string
	for _, e := range items {
		out = append(out, e["subject"].(string))
	}
	return out
}

// clearEvents forgets what the harness's setup recorded (its users and
// buckets), and sets the clock on a whole millisecond, as timestamps show.
func (h *harness) clearEvents() {
	h.t.Helper()
	err := h.store.Update(context.Background(), func(tx meta.Tx) error {
		_, err := tx.DeleteEventsBefore(time.Now().Add(time.Hour), 0)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.clock.now.Store(h.clock.Now().Truncate(time.Millisecond).UnixNano())
}

// record writes an event at the harness's clock, then moves it on a second.
func (h *harness) record(e events.Event) {
	h.t.Helper()
	if err := h.events.Record(context.Background(), e); err != nil {
		h.t.Fatal(err)
	}
	h.clock.Advance(time.Second)
}

func TestSystemEventsAnswersTheVendorsShape(t *testing.T) {
	h := newHarness(t)
	h.clearEvents()
	h.record(events.Event{Type: events.JobCreated, Subject: "job/1", Message: "job 1 created by alice",
		Actor: events.Actor{ID: h.ids["alice"], Name: "alice"}, OwnerID: h.ids["alice"]})
	items := eventItems(t, h.getEvents("admin", "system/events", "count=1"))
	if len(items) != 1 {
		t.Fatalf("count=1 gave %d events", len(items))
	}
	e := items[0]
	for field, want := range map[string]string{"category": "JOB", "eventTypeId": "20101", "severity": "INFO",
		"subject": "job/1", "message": "job 1 created by alice", "regionId": "eu-test-1", "actor": "alice"} {
		if got, _ := e[field].(string); got != want {
			t.Errorf("%s = %v, want %q (a string)", field, e[field], want)
		}
	}
	ts, _ := e["timestamp"].(string)
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
		t.Errorf("timestamp %q is not ISO-8601 UTC with milliseconds: %v", ts, err)
	}
	if e["count"].(float64) != 1 || e["id"].(float64) <= 0 {
		t.Errorf("count %v, id %v", e["count"], e["id"])
	}
}

func TestSystemEventsFiltersAsTheVendorsClientAsks(t *testing.T) {
	h := newHarness(t)
	h.clearEvents()
	alice, bob := h.ids["alice"], h.ids["bob"]
	t0 := h.clock.Now().UTC()
	h.record(events.Event{Type: events.JobCreated, Subject: "job/1", OwnerID: alice, Actor: events.Actor{ID: alice, Name: "alice"}})
	h.record(events.Event{Type: events.JobFailed, Subject: "job/2", OwnerID: bob})
	h.record(events.Event{Type: events.UserCreated, Subject: "user/bob", OwnerID: bob, Actor: events.Actor{ID: h.ids["admin"], Name: "admin"}})
	h.record(events.Event{Type: events.LoginLockedOut, Subject: "address/192.0.2.7"})
	at := func(d time.Duration) string { return t0.Add(d).Format("2006-01-02T15:04:05.000Z") }
	// +00:00 sent unencoded arrives as " 00:00": still the same instant.
	plus := func(d time.Duration) string { return t0.Add(d).Format("2006-01-02T15:04:05.000") + "+00:00" }
	for _, c := range []struct {
		name, user, endpoint, query string
		want                        []string
	}{
		{"all, newest first", "admin", "system/events", "", []string{"address/192.0.2.7", "user/bob", "job/2", "job/1"}},
		{"count", "admin", "system/events", "count=2", []string{"address/192.0.2.7", "user/bob"}},
		{"severity", "admin", "system/events", "severity=WARNING", []string{"address/192.0.2.7", "job/2"}},
		{"severity in lower case", "admin", "system/events", "severity=warning", []string{"address/192.0.2.7", "job/2"}},
		{"category", "admin", "system/events", "category=JOB", []string{"job/2", "job/1"}},
		{"eventTypeId", "admin", "system/events", "eventTypeId=20201", []string{"user/bob"}},
		{"user: about or by it", "admin", "system/events", "user=" + itoa(bob), []string{"user/bob", "job/2"}},
		{"user: the admin's own doings", "admin", "system/events", "user=" + itoa(h.ids["admin"]), []string{"user/bob"}},
		{"a user id no one has", "admin", "system/events", "user=-618195248", nil},
		{"raw ISO timestamps, inclusive", "admin", "system/events",
			"startTimestamp=" + at(time.Second) + "&endTimestamp=" + at(2*time.Second), []string{"user/bob", "job/2"}},
		{"a + that arrived as a space", "admin", "system/events",
			"startTimestamp=" + plus(2*time.Second), []string{"address/192.0.2.7", "user/bob"}},
		{"a + sent encoded", "admin", "system/events",
			"endTimestamp=" + strings.ReplaceAll(plus(0), "+", "%2B"), []string{"job/1"}},
		{"Unix milliseconds", "admin", "system/events",
			"startTimestamp=" + strconv.FormatInt(t0.Add(3*time.Second).UnixMilli(), 10), []string{"address/192.0.2.7"}},
		{"filters combine", "admin", "system/events", "category=JOB&severity=INFO&user=" + itoa(alice), []string{"job/1"}},
		{"unknown parameters are ignored", "admin", "system/events", "category=JOB&flavour=mint", []string{"job/2", "job/1"}},
		{"gms_events: the management layer's", "admin", "system/gms_events", "", []string{"address/192.0.2.7", "user/bob"}},
		{"a user sees its own only", "bob", "system/events", "", []string{"user/bob", "job/2"}},
		{"a user names its own id", "bob", "system/events", "user=" + itoa(bob), []string{"user/bob", "job/2"}},
		{"a user who owns nothing here", "alice", "system/gms_events", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := subjectsOf(eventItems(t, h.getEvents(c.user, c.endpoint, c.query)))
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("?%s gave %v, want %v", c.query, got, c.want)
			}
		})
	}
}

func TestSystemEventsRefusesBadParametersAndOtherUsersEvents(t *testing.T) {
	h := newHarness(t)
	for _, q := range []string{"count=0", "count=1001", "count=ten", "severity=DEBUG", "eventTypeId=x", "eventTypeId=-1",
		"user=alice", "startTimestamp=yesterday", "endTimestamp=2025-13-45T00:00:00Z",
		"startTimestamp=2025-02-28T00:00:00Z&endTimestamp=2025-02-27T00:00:00Z", "category=%zz",
		"category=" + strings.Repeat("X", 65)} {
		t.Run(q, func(t *testing.T) {
			wantError(t, h.getEvents("admin", "system/events", q), http.StatusBadRequest, CodeInvalidRequest)
		})
	}
	wantError(t, h.getEvents("bob", "system/events", "user="+itoa(h.ids["alice"])), http.StatusForbidden, CodeForbidden)
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/mapi/v1/system/events", nil)
	r := h.send(req)
	wantError(t, r, http.StatusUnauthorized, CodeUnauthorized)
	x := h.csrf()
	r = h.send(h.request("/mapi/v1/system/events", h.token("admin"), x, x, nil))
	wantError(t, r, http.StatusMethodNotAllowed, CodeMethodNotAllowed)
	if r.header.Get("Allow") != http.MethodGet {
		t.Errorf("Allow %q, want GET", r.header.Get("Allow"))
	}
	// No XSRF token is needed to read, and the /v1/ mirror serves it.
	req, _ = http.NewRequest(http.MethodGet, h.srv.URL+"/v1/system/events?count=5", nil)
	req.Header.Set("Authorization", "Bearer "+h.token("alice"))
	wantOK(t, h.send(req))
}

func TestChangesThroughTheMAPIAreRecordedWithTheirActor(t *testing.T) {
	h := newHarness(t)
	h.clearEvents()
	wantOK(t, h.call("admin", "user/create", `{"username":"carol","password":"carol-password","role":"USER"}`))
	wantOK(t, h.call("alice", "s3/user/generate_credentials", ""))
	wantOK(t, h.call("admin", "user/revoke_credentials", `{"id":`+itoa(h.ids["alice"])+`}`))
	items := eventItems(t, h.getEvents("admin", "system/events", "user="+itoa(h.ids["admin"])))
	var types []string
	for _, e := range items {
		types = append(types, e["eventTypeId"].(string))
		if e["actor"] != "admin" {
			t.Errorf("event %v: want done by admin", e)
		}
	}
	want := []string{"20302", "20201"} // alice's key revoked, carol created
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("the admin's doings: %v, want %v", types, want)
	}
	mine := subjectsOf(eventItems(t, h.getEvents("alice", "system/events", "category=CREDENTIALS")))
	if len(mine) != 2 {
		t.Fatalf("alice sees %v, want her key created and revoked", mine)
	}
}

func TestAFloodOfRefusedLoginsIsRecordedOnceWithItsLockout(t *testing.T) {
	h := newHarness(t)
	h.clearEvents()
	for range 6 {
		wantStatus(t, "wrong password", h.tokenFrom(attacker, passwordForm("alice", "wrong"), nil), http.StatusUnauthorized)
	}
	wantStatus(t, "while locked out", h.tokenFrom(attacker, passwordForm("alice", "wrong"), nil), http.StatusTooManyRequests)
	h.clock.Advance(2 * time.Second)
	wantStatus(t, "after the wait", h.tokenFrom(attacker, passwordForm("alice", "wrong"), nil), http.StatusUnauthorized)
	// A password typed into the username field is not recorded.
	wantStatus(t, "a name no user can have", h.tokenFrom(attacker, passwordForm("hunter2 secret!", "x"), nil), http.StatusUnauthorized)

	items := eventItems(t, h.getEvents("admin", "system/gms_events", "category=SECURITY"))
	byType := map[string][]map[string]any{}
	for _, e := range items {
		byType[e["eventTypeId"].(string)] = append(byType[e["eventTypeId"].(string)], e)
		if strings.Contains(e["message"].(string), "wrong\"") || strings.Contains(e["message"].(string), "hunter2") {
			t.Errorf("event %v holds what the client sent as a secret", e)
		}
	}
	refused, lockouts := byType["20601"], byType["20602"]
	if len(refused) != 2 || len(lockouts) != 1 {
		t.Fatalf("events %v: want one refusal for alice and one for the invalid name, and one lockout", items)
	}
	var alices map[string]any
	for _, e := range refused {
		if e["subject"] == "login/alice" {
			alices = e
		}
	}
	if alices == nil || alices["severity"] != "WARNING" || alices["ownerId"].(float64) != float64(h.ids["alice"]) ||
		!strings.Contains(alices["message"].(string), "192.0.2.7") {
		t.Fatalf("alice's refusal %v", alices)
	}
	if l := lockouts[0]; l["subject"] != "login/alice" || !strings.Contains(l["message"].(string), "6 failed logins") {
		t.Fatalf("lockout %v", l)
	}
	// Alice sees the refusals of her own account, once her wait is over.
	h.clock.Advance(20 * time.Second)
	mine := subjectsOf(eventItems(t, h.getEvents("alice", "system/events", "category=SECURITY")))
	if strings.Join(mine, ",") != "login/alice,login/alice" {
		t.Fatalf("alice sees %v", mine)
	}
	var stored []meta.Event
	_ = h.store.View(context.Background(), func(tx meta.Tx) error {
		var err error
		stored, err = tx.ListEvents(meta.EventFilter{Category: "SECURITY"})
		return err
	})
	if len(stored) != 3 {
		t.Fatalf("%d rows for 8 refusals and 2 lockouts in a minute, want 3", len(stored))
	}
}
