package mapi

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Limits of system/events.
const (
	defaultEventCount = 100
	maxEventCount     = 1000
	maxCategoryLen    = 64
)

// eventJSON is an event as system/events shows it: the vendor's fields
// (eventTypeId a string, as the vendor's clients read it), then Quarry's
// additive ones.
type eventJSON struct {
	Category    string `json:"category"`
	EventTypeID string `json:"eventTypeId"`
	Message     string `json:"message"`
	Severity    string `json:"severity"`
	Subject     string `json:"subject"`
	Timestamp   string `json:"timestamp"`
	RegionID    string `json:"regionId"`
	ID          int64  `json:"id"`
	Count       int64  `json:"count"`
	// Actor and ActorID are who did it; absent for the server itself.
	Actor   string `json:"actor,omitempty"`
	ActorID int64  `json:"actorId,omitempty"`
	// OwnerID is the user the event concerns; absent for none.
	OwnerID int64 `json:"ownerId,omitempty"`
}

// eventTimestamp is ISO-8601 in UTC with milliseconds, as the vendor's
// examples show: 2025-02-27T20:31:49.034Z.
const eventTimestamp = "2006-01-02T15:04:05.000Z07:00"

func (h *Handler) newEventJSON(e meta.Event) eventJSON {
	return eventJSON{
		Category:    e.Category,
		EventTypeID: strconv.Itoa(e.TypeID),
		Message:     e.Message,
		Severity:    e.Severity,
		Subject:     e.Subject,
		Timestamp:   e.Time.UTC().Format(eventTimestamp),
		RegionID:    h.cfg.Region,
		ID:          e.ID,
		Count:       e.Count,
		Actor:       e.ActorName,
		ActorID:     e.ActorID,
		OwnerID:     e.OwnerID,
	}
}

// listEvents serves system/events (every event) or, with gms,
// system/gms_events (the global management layer's: users, keys, logins,
// certificates). An admin sees every event; any other user only its own:
// those about itself, its buckets, jobs, keys and targets.
func (h *Handler) listEvents(gms bool) queryFunc {
	return func(ctx context.Context, c *queryCall) (any, error) {
		q, err := parseEventQuery(c.query)
		if err != nil {
			return nil, err
		}
		q.GMSOnly = gms
		if q.UserID != 0 && q.UserID != c.p.UserID && !c.p.Admin() {
			return nil, forbidden("only an administrator may list another user's events")
		}
		out := []eventJSON{}
		if q.UserID < 0 {
			// No user has such an id (the vendor's ids may be negative).
			return map[string]any{"events": out}, nil
		}
		list, err := h.cfg.Events.List(ctx, events.Viewer{UserID: c.p.UserID, Admin: c.p.Admin()}, q)
		if err != nil {
			return nil, err
		}
		for _, e := range list {
			out = append(out, h.newEventJSON(e))
		}
		return map[string]any{"events": out}, nil
	}
}

// parseEventQuery reads system/events' query parameters. The vendor's
// clients send them without URL encoding, so a timestamp's "+01:00" comes
// as " 01:00": a space in a timestamp is read as the "+" it was. An empty
// value is as absent; unknown parameters are ignored, as unknown JSON
// fields are.
func parseEventQuery(v url.Values) (events.Query, error) {
	q := events.Query{Count: defaultEventCount}
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	var err error
	if s := get("count"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > maxEventCount {
			return q, invalid("count %q must be an integer from 1 to %d", s, maxEventCount)
		}
		q.Count = n
	}
	if s := get("severity"); s != "" {
		q.Severity = strings.ToUpper(s)
		if !events.ValidSeverity(q.Severity) {
			return q, invalid("severity %q is not valid; allowed: INFO, WARNING, SEVERE", s)
		}
	}
	if s := get("category"); s != "" {
		if len(s) > maxCategoryLen {
			return q, invalid("category must be at most %d characters", maxCategoryLen)
		}
		q.Category = strings.ToUpper(s)
	}
	if s := get("eventTypeId"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 {
			return q, invalid("eventTypeId %q must be a positive integer", s)
		}
		q.TypeID = n
	}
	if s := get("user"); s != "" {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil {
			return q, invalid("user %q must be an integer user id", s)
		}
		q.UserID = n
		if n == 0 {
			q.UserID = -1 // no user has id 0, and 0 would mean "any"
		}
	}
	if q.Since, err = parseEventTime("startTimestamp", get("startTimestamp")); err != nil {
		return q, err
	}
	if q.Until, err = parseEventTime("endTimestamp", get("endTimestamp")); err != nil {
		return q, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Since.After(q.Until) {
		return q, invalid("startTimestamp is after endTimestamp")
	}
	return q, nil
}

// eventTimeLayouts are the forms of ISO-8601 a timestamp parameter may
// take; one without a zone is UTC.
var eventTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseEventTime reads a timestamp parameter: ISO-8601 (RFC 3339, with or
// without fractions or a zone, or a date), or Unix milliseconds. The zero
// time for an empty value.
func parseEventTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	for _, cand := range []string{s, strings.ReplaceAll(s, " ", "+")} {
		for _, layout := range eventTimeLayouts {
			if t, err := time.Parse(layout, cand); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, invalid("%s %q is not an ISO-8601 time such as 2025-02-27T20:31:49.034Z", name, truncate(s, 64))
}

// truncate cuts what a client sent to n bytes for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// queryCall is a GET endpoint's request: the caller and the query.
type queryCall struct {
	p     auth.Principal
	query url.Values
}

// queryFunc serves a GET endpoint: it returns the 200 body or an error.
type queryFunc func(ctx context.Context, c *queryCall) (any, error)

// errBadQuery is the answer to a query string that does not parse.
func errBadQuery(err error) *apiError {
	return invalid("malformed query string: %s", truncate(fmt.Sprint(err), 200))
}
