package auth

import (
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Principal is the authenticated caller of an S3 or MAPI request.
type Principal struct {
	UserID   int64
	Username string
	Role     meta.Role
}

// Admin reports whether the principal may act on every bucket and user.
func (p Principal) Admin() bool { return p.Role == meta.RoleAdmin }

// CanUse reports whether the principal may use a bucket owned by ownerID:
// its owner or an admin.
func (p Principal) CanUse(ownerID int64) bool { return p.Admin() || p.UserID == ownerID }

// Actor is the principal as the event log names who did something.
func (p Principal) Actor() events.Actor { return events.Actor{ID: p.UserID, Name: p.Username} }
