package notify

import (
	"fmt"
	"net/url"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// targetEvent is the event log's event of type ty about target t, done by
// p; it concerns the target's owner. what follows the target's name.
func targetEvent(ty events.Type, t *meta.NotificationTarget, p auth.Principal, now time.Time, what string) events.Event {
	return events.Event{
		Type:    ty,
		Subject: "notification_target/" + t.ARN,
		Message: fmt.Sprintf("notification target %s (%s, %s to %s) %s by %s", t.Name, t.ARN, t.Type, endpointHost(t.Endpoint), what, p.Username),
		Actor:   p.Actor(),
		OwnerID: t.OwnerID,
		Time:    now,
	}
}

// endpointHost is where an endpoint sends, without its path: a webhook's
// path often holds a token of its own (the log is read by more people than
// the target's secret is).
func endpointHost(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "(an endpoint that cannot be read)"
	}
	return u.Scheme + "://" + u.Host
}
