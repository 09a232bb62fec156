package replication

import (
	"fmt"
	"strings"
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

// grantsText says who besides the owner and admins may use a target.
func grantsText(info *TargetInfo) string {
	switch {
	case info.Grants.AllUsers:
		return "usable by every user"
	case len(info.Grants.Users) == 0:
		return "usable by its owner and admins only"
	}
	names := make([]string, len(info.Grants.Users))
	for i, u := range info.Grants.Users {
		names[i] = userLabel(u.ID, u.Username)
	}
	return "usable by its owner, admins and " + strings.Join(names, ", ")
}
