package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vendorEvent is an item of system/events as the vendor's client reads it
// (eventTypeId a string), with Quarry's additive fields.
type vendorEvent struct {
	Category    string `json:"category"`
	EventTypeID string `json:"eventTypeId"`
	Message     string `json:"message"`
	Severity    string `json:"severity"`
	Subject     string `json:"subject"`
	Timestamp   string `json:"timestamp"`
	RegionID    string `json:"regionId"`
	Count       int64  `json:"count"`
	Actor       string `json:"actor"`
	OwnerID     int64  `json:"ownerId"`
}

// vendorGet sends a GET to a MAPI endpoint as the vendor's client does: the
// query string exactly as given (its values not URL-encoded), the bearer
// token, and the X-XSRF-TOKEN header and both cookies it sends on every
// call, after the serial_number/get it makes first.
func (c *mapiClient) vendorGet(endpoint, rawQuery string) mapiResponse {
	c.t.Helper()
	c.post("serial_number/get", nil)
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.base+c.Prefix+endpoint, nil)
	if err != nil {
		c.t.Fatalf("%s request: %v", endpoint, err)
	}
	req.URL.RawQuery = rawQuery
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	req.Header.Set(mapiXSRFHeader, c.XSRF)
	req.AddCookie(&http.Cookie{Name: mapiXSRFCookie, Value: c.XSRF})
	req.AddCookie(&http.Cookie{Name: mapiSessCookie, Value: c.Session})
	return c.send(req)
}

// events calls system/events (or gms_events) and decodes the items.
func (c *mapiClient) events(endpoint, rawQuery string) []vendorEvent {
	c.t.Helper()
	r := c.vendorGet(endpoint, rawQuery)
	var out struct {
		Events []vendorEvent `json:"events"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil || out.Events == nil {
		c.t.Fatalf("GET %s?%s: %s, want 200 {events: [...]}", endpoint, rawQuery, r)
	}
	return out.Events
}

// findEvent returns the newest event of type typeID about subject.
func findEvent(evs []vendorEvent, typeID, subject string) (vendorEvent, bool) {
	for _, e := range evs {
		if e.EventTypeID == typeID && e.Subject == subject {
			return e, true
		}
	}
	return vendorEvent{}, false
}

var eventTimestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// TestVendorSystemEventsRecordWhatHappened does what an operator does, then
// reads system/events as the vendor's client does: a user created, its
// keys revoked by the admin, a job created and cancelled, refused logins
// and a lockout. Its own server: the lockout must not touch other tests.
func TestVendorSystemEventsRecordWhatHappened(t *testing.T) {
	t.Parallel()
	dir, _ := bigDataDir(t)
	srv := startServerIn(t, serverOptions{}, dir)
	root := mapiRoot(t, srv)
	rootID := rootID(t, root)
	since := time.Now().UTC().Add(-time.Second)

	alice := newMAPIUser(t, srv, root, "ev-alice")
	if r := vendorPost(root, "user/revoke_credentials", map[string]any{"id": alice.ID}); r.Status != http.StatusOK {
		t.Fatalf("revoke alice's keys: %s", r)
	}
	long := root.createJob(metricRecon, bigBucket, nil)
	root.waitJob(long.ID(), time.Minute, "processing", func(j mapiJob) bool { return j.JobStats.Processed > 0 || j.ended() })
	if r := vendorPost(root, "jobs/cancel", jobIDBody(long.ID())); r.Status != http.StatusOK {
		t.Fatalf("cancel job %d: %s", long.ID(), r)
	}
	if j := root.waitJobEnded(long.ID(), 10*time.Second); j.JobState != "CANCELLED" {
		t.Fatalf("job %d ended %s, want CANCELLED", long.ID(), j.JobState)
	}
	refusals := 0
	for range 8 {
		tr := newMAPIClient(t, srv).passwordGrant("ev-alice", "not-her-password")
		switch tr.Status {
		case http.StatusUnauthorized:
			refusals++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("a wrong password answered %d", tr.Status)
		}
	}
	if refusals != 6 {
		t.Fatalf("%d wrong passwords were checked, want the 5 free ones and the one that locked out", refusals)
	}

	all := root.events("system/events", "count=1000")
	jobSubject := fmt.Sprintf("job/%d", long.ID())
	for _, w := range []struct {
		name, typeID, subject, actor string
	}{
		{"the job created", "20101", jobSubject, rootUser},
		{"the job's cancel", "20104", jobSubject, rootUser},
		{"the job ended cancelled", "20105", jobSubject, ""},
		{"the user created", "20201", "user/ev-alice", rootUser},
		{"alice's key created", "20301", "", "ev-alice"},
		{"alice's key revoked by the admin", "20302", "", rootUser},
		{"the refused logins", "20601", "login/ev-alice", ""},
		{"the lockout", "20602", "login/ev-alice", ""},
	} {
		t.Run(w.name, func(t *testing.T) {
			var e vendorEvent
			found := false
			for _, x := range all {
				if x.EventTypeID == w.typeID && (w.subject == "" || x.Subject == w.subject) &&
					(w.subject != "" || strings.Contains(x.Message, "ev-alice")) {
					e, found = x, true
					break
				}
			}
			if !found {
				t.Fatalf("no event %s about %q in %+v", w.typeID, w.subject, all)
			}
			if e.Actor != w.actor || e.RegionID != testRegion || !eventTimestampRE.MatchString(e.Timestamp) ||
				e.Category == "" || e.Message == "" || e.Severity == "" {
				t.Fatalf("event %+v: want done by %q, region %s, an ISO-8601 UTC timestamp with milliseconds", e, w.actor, testRegion)
			}
		})
	}

	t.Run("a flood of refused logins is one event with its count", func(t *testing.T) {
		var refused []vendorEvent
		for _, e := range all {
			if e.EventTypeID == "20601" && e.Subject == "login/ev-alice" {
				refused = append(refused, e)
			}
		}
		if len(refused) != 1 || refused[0].Count != 1 || refused[0].Severity != "WARNING" || refused[0].OwnerID != alice.ID ||
			!strings.Contains(refused[0].Message, "127.0.0.1") {
			t.Fatalf("refused logins %+v: want one event (its window counts the rest), about alice, naming the address", refused)
		}
		for _, e := range all {
			if strings.Contains(e.Message, "not-her-password") {
				t.Fatalf("an event holds the password tried: %+v", e)
			}
		}
	})

	t.Run("the filters the vendor's client sends", func(t *testing.T) {
		root := root.as(t)
		start := since.Format("2006-01-02T15:04:05.000") + "+00:00" // its + sent as is arrives as a space
		for _, c := range []struct {
			query string
			keep  func(vendorEvent) bool
		}{
			{"category=SECURITY", func(e vendorEvent) bool { return e.Category == "SECURITY" }},
			{"severity=WARNING", func(e vendorEvent) bool { return e.Severity == "WARNING" }},
			{"eventTypeId=20201", func(e vendorEvent) bool { return e.EventTypeID == "20201" }},
			{"user=" + strconv.FormatInt(alice.ID, 10), func(e vendorEvent) bool {
				return e.OwnerID == alice.ID || e.Actor == "ev-alice"
			}},
			{"startTimestamp=" + start + "&category=JOB", func(e vendorEvent) bool { return e.Category == "JOB" }},
			{"startTimestamp=" + since.Format("2006-01-02T15:04:05.000Z") + "&endTimestamp=" + time.Now().UTC().Add(time.Minute).Format("2006-01-02T15:04:05.000Z") + "&eventTypeId=20104",
				func(e vendorEvent) bool { return e.EventTypeID == "20104" }},
		} {
			got := root.events("system/events", c.query)
			if len(got) == 0 {
				t.Errorf("?%s selected nothing", c.query)
			}
			for _, e := range got {
				if !c.keep(e) {
					t.Errorf("?%s selected %+v", c.query, e)
				}
			}
		}
		if got := root.events("system/events", "count=2"); len(got) != 2 || got[0].Timestamp < got[1].Timestamp {
			t.Errorf("count=2 gave %+v, want the two newest, newest first", got)
		}
		if got := root.events("system/events", "endTimestamp=2000-01-01T00:00:00.000Z"); len(got) != 0 {
			t.Errorf("events before 2000: %+v", got)
		}
		for _, e := range root.events("system/gms_events", "") {
			if e.Category == "JOB" || e.Category == "BUCKET" {
				t.Errorf("gms_events holds a region event %+v", e)
			}
		}
		wantMAPIError(t, "count=0", root.vendorGet("system/events", "count=0"), http.StatusBadRequest, "INVALID_REQUEST", "count")
		wantMAPIError(t, "a bad timestamp", root.vendorGet("system/events", "startTimestamp=yesterday"),
			http.StatusBadRequest, "INVALID_REQUEST", "startTimestamp")
	})

	t.Run("a user sees only its own events", func(t *testing.T) {
		mine := alice.MAPI.as(t).events("system/events", "")
		if _, ok := findEvent(mine, "20601", "login/ev-alice"); !ok {
			t.Errorf("alice does not see the refused logins of her account: %+v", mine)
		}
		for _, e := range mine {
			if e.OwnerID != alice.ID {
				t.Errorf("alice sees %+v", e)
			}
		}
		wantMAPIError(t, "alice asking for root's events",
			alice.MAPI.as(t).vendorGet("system/events", "user="+strconv.FormatInt(rootID, 10)), http.StatusForbidden, "FORBIDDEN", "")
	})

	t.Run("quarry events shows the log", func(t *testing.T) {
		h := newCLIHome(t, srv)
		h.login(rootUser, rootPassword)
		var out struct {
			Events []vendorEvent `json:"events"`
		}
		h.jsonOf(&out, "events", "--category", "job", "--since", "1h", "--count", "1000")
		if _, ok := findEvent(out.Events, "20104", jobSubject); !ok {
			t.Fatalf("quarry events --category job lacks the cancel: %+v", out.Events)
		}
		for _, e := range out.Events {
			if e.Category != "JOB" {
				t.Errorf("--category job listed %+v", e)
			}
		}
		res := h.ok("events", "--user", "ev-alice", "--type", "S3_KEY_REVOKED")
		lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(res.stdout, "S3_KEY_REVOKED") ||
			!strings.Contains(res.stdout, rootUser) {
			t.Fatalf("quarry events --user ev-alice --type S3_KEY_REVOKED:\n%s", res.stdout)
		}
		h.jsonOf(&out, "events", "--severity", "warning", "--gms", "--count", "5")
		if len(out.Events) == 0 || len(out.Events) > 5 {
			t.Fatalf("--severity warning --gms --count 5 gave %d events", len(out.Events))
		}
		for _, e := range out.Events {
			if e.Severity != "WARNING" {
				t.Errorf("--severity warning listed %+v", e)
			}
		}
		if res := h.run("", nil, "events", "--since", "1h", "--start", "2026-01-01"); res.code == 0 || !strings.Contains(res.stderr, "--since") {
			t.Fatalf("--since with --start: %s", res)
		}
		if res := h.run("", nil, "events", "--count", "0", "--severity", "LOUD"); res.code == 0 || !strings.Contains(res.stderr, "severity") {
			t.Fatalf("a bad severity: %s", res)
		}
	})
}
