package auth

import (
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Principal is the caller of an S3 or MAPI request: an authenticated user,
// or, for S3 requests that carry no credentials, the anonymous principal.
type Principal struct {
	UserID   int64
	Username string
	Role     meta.Role
	// anonymous marks the principal Anonymous returns; a Principal built
	// from a user never has it.
	anonymous bool
}

// Anonymous is the principal of an S3 request without credentials (no
// Authorization header, no presigned query). It is no user: it owns
// nothing and may use only what an ACL grants to everyone.
func Anonymous() Principal { return Principal{anonymous: true} }

// IsAnonymous reports whether p is the anonymous principal.
func (p Principal) IsAnonymous() bool { return p.anonymous }

// Admin reports whether the principal may act on every bucket and user.
func (p Principal) Admin() bool { return !p.anonymous && p.Role == meta.RoleAdmin }

// CanUse reports whether the principal may use a bucket owned by ownerID
// as its owner does: its owner or an admin, never the anonymous principal.
func (p Principal) CanUse(ownerID int64) bool {
	return !p.anonymous && (p.Admin() || p.UserID == ownerID)
}

// Actor is the principal as the event log names who did something; the
// anonymous principal is the zero Actor, as every unauthenticated client.
func (p Principal) Actor() events.Actor { return events.Actor{ID: p.UserID, Name: p.Username} }
