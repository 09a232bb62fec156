package replication

import (
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// targetEvent is the event of type ty about target t, done by p; it
// concerns the target's owner. what follows the target's name.
func targetEvent(ty events.Type, t *meta.ReplicationTarget, p auth.Principal, now time.Time, what string) events.Event {
	return events.Event{
		Type:    ty,
		Subject: "replication_target/" + t.ARN,
		Message: fmt.Sprintf("replication target %s (%s, bucket %s at %s) %s by %s", t.Name, t.ARN, t.Bucket, t.Endpoint, what, p.Username),
		Actor:   p.Actor(),
		OwnerID: t.OwnerID,
		Time:    now,
	}
}
