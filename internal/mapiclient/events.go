package mapiclient

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// Event is an item of system/events: the vendor's fields and Quarry's
// additive ones.
type Event struct {
	Category    string `json:"category"`
	EventTypeID string `json:"eventTypeId"`
	Message     string `json:"message"`
	Severity    string `json:"severity"`
	Subject     string `json:"subject"`
	Timestamp   string `json:"timestamp"`
	RegionID    string `json:"regionId"`
	ID          int64  `json:"id,omitempty"`
	Count       int64  `json:"count,omitempty"`
	Actor       string `json:"actor,omitempty"`
	ActorID     int64  `json:"actorId,omitempty"`
	OwnerID     int64  `json:"ownerId,omitempty"`
}

// EventQuery selects events; zero fields do not filter.
type EventQuery struct {
	Start, End  time.Time
	Severity    string
	Category    string
	EventTypeID int
	UserID      int64
	// Count is how many events at most (the server's default, 100, when
	// zero; at most 1000).
	Count int
	// GMS asks system/gms_events: the management layer's events only.
	GMS bool
}

func (q EventQuery) values() url.Values {
	v := url.Values{}
	set := func(name, value string) {
		if value != "" {
			v.Set(name, value)
		}
	}
	if !q.Start.IsZero() {
		set("startTimestamp", q.Start.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	if !q.End.IsZero() {
		set("endTimestamp", q.End.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	set("severity", q.Severity)
	set("category", q.Category)
	if q.EventTypeID != 0 {
		set("eventTypeId", strconv.Itoa(q.EventTypeID))
	}
	if q.UserID != 0 {
		set("user", strconv.FormatInt(q.UserID, 10))
	}
	if q.Count != 0 {
		set("count", strconv.Itoa(q.Count))
	}
	return v
}

// Events returns the events q selects that the caller may see, newest
// first.
func (c *Client) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	path := "system/events"
	if q.GMS {
		path = "system/gms_events"
	}
	var resp struct {
		Events []Event `json:"events"`
	}
	if err := c.Get(ctx, path, q.values(), &resp); err != nil {
		return nil, err
	}
	if resp.Events == nil {
		resp.Events = []Event{}
	}
	return resp.Events, nil
}
