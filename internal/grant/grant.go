// Package grant decides who may use a resource that one user owns and
// others may be granted: replication targets and notification targets,
// which hold credentials or addresses of other systems, so that naming one
// in a bucket's configuration is a write path there.
//
// The rules, the same for every such resource:
//
//   - use it (name it in a bucket's configuration, and have the bucket's
//     data or events sent to it): its owner, admins, and the users it is
//     granted to (Grants);
//   - see it in a list: whoever may use it;
//   - delete, test it or change its grants: its owner and admins;
//   - grant it to other users: admins only. A non-admin may register
//     resources, usable by itself alone.
//
// A resource a caller may not use is answered as a missing one, so that
// its existence does not leak. The domain packages map this package's
// errors to their own (ErrForbidden to "target action forbidden", an
// unknown user to "invalid target").
package grant

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Errors, as *Error values whose text is the whole message.
var (
	// ErrForbidden: the caller may not do this (grant to others, manage).
	ErrForbidden = errors.New("forbidden")
	// ErrUnknownUser: a grant names a user that does not exist (or no
	// user at all).
	ErrUnknownUser = errors.New("unknown user")
)

// Error is one of the package's errors with its message.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string        { return e.Msg }
func (e *Error) Is(target error) bool { return target == e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Message is what err says, without the kind: the text a domain package
// wraps its own sentinel around.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

// UserRef names a user: by id when ID is set, else by username. Results
// fill both (Username empty for a user deleted since).
type UserRef struct {
	ID       int64
	Username string
}

// Grants says who besides its owner (and admins) may use a resource.
type Grants struct {
	// AllUsers grants the resource to every user.
	AllUsers bool
	// Users are the users granted the resource.
	Users []UserRef
}

// Owned is what a stored resource says about who may use it.
type Owned struct {
	OwnerID  int64
	AllUsers bool
	// Users are the ids granted the resource, ascending and distinct.
	Users []int64
}

// MayUse reports whether user userID (an admin when admin) may use it.
func (o Owned) MayUse(userID int64, admin bool) bool {
	return admin || o.OwnerID == userID || o.AllUsers || slices.Contains(o.Users, userID)
}

// ManagedBy reports whether p may delete, test and grant it.
func (o Owned) ManagedBy(p auth.Principal) bool { return p.Admin() || o.OwnerID == p.UserID }

// CheckMayGrant refuses grants to others by a non-admin, before any user
// is looked up (so that a refused call says nothing of who exists). A
// non-admin naming only itself is let through: it adds nothing. noun names
// the resource in the message ("replication target").
func CheckMayGrant(p auth.Principal, g Grants, noun string) error {
	if p.Admin() {
		return nil
	}
	others := g.AllUsers
	for _, u := range g.Users {
		if u.ID != 0 && u.ID != p.UserID || u.ID == 0 && !strings.EqualFold(u.Username, p.Username) {
			others = true
		}
	}
	if others {
		return errorf(ErrForbidden, "only an administrator may grant a %s to other users", noun)
	}
	return nil
}

// Resolve turns the users named into their ids, ascending and distinct,
// without ownerID (its owner may use a resource anyway). An unknown user
// is ErrUnknownUser. A non-admin may name only itself (checked by
// CheckMayGrant by name, and here again by id).
func Resolve(tx meta.UserTx, p auth.Principal, ownerID int64, refs []UserRef, noun string) ([]int64, error) {
	var ids []int64
	for _, ref := range refs {
		var (
			u   *meta.User
			err error
		)
		switch name := strings.TrimSpace(ref.Username); {
		case ref.ID > 0:
			u, err = tx.GetUser(ref.ID)
			if errors.Is(err, meta.ErrNotFound) {
				return nil, errorf(ErrUnknownUser, "users: no user has id %d", ref.ID)
			}
		case name != "":
			u, err = tx.GetUserByName(name)
			if errors.Is(err, meta.ErrNotFound) {
				return nil, errorf(ErrUnknownUser, "users: no user is named %q", name)
			}
		default:
			return nil, errorf(ErrUnknownUser, "users: a username must not be empty")
		}
		if err != nil {
			return nil, fmt.Errorf("look up granted user: %w", err)
		}
		if !p.Admin() && u.ID != p.UserID {
			return nil, errorf(ErrForbidden, "only an administrator may grant a %s to other users", noun)
		}
		if u.ID != ownerID && !slices.Contains(ids, u.ID) {
			ids = append(ids, u.ID)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// View is a resource's access as one caller sees it: the owner and grants
// only when the caller manages it.
type View struct {
	Managed bool
	Owner   UserRef
	Grants  Grants
}

// Describe is o as p sees it.
func Describe(names *Names, o Owned, p auth.Principal) (View, error) {
	v := View{Managed: o.ManagedBy(p)}
	if !v.Managed {
		return v, nil
	}
	var err error
	if v.Owner, err = names.Ref(o.OwnerID); err != nil {
		return View{}, err
	}
	v.Grants.AllUsers = o.AllUsers
	for _, id := range o.Users {
		ref, err := names.Ref(id)
		if err != nil {
			return View{}, err
		}
		v.Grants.Users = append(v.Grants.Users, ref)
	}
	return v, nil
}

// OwnerMayUse reports whether the user ownerID (a bucket's owner) may use
// o, with the owner's label for a refusal's message. A deleted owner is
// neither admin nor granted (user ids are never reused).
func OwnerMayUse(tx meta.UserTx, ownerID int64, o Owned) (ok bool, owner string, err error) {
	u, err := tx.GetUser(ownerID)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		u = &meta.User{ID: ownerID}
	case err != nil:
		return false, "", fmt.Errorf("get user %d: %w", ownerID, err)
	}
	return o.MayUse(u.ID, u.Role == meta.RoleAdmin), Label(u.ID, u.Username), nil
}

// IsAdmin reports whether user id is an admin (false for a deleted one).
func IsAdmin(tx meta.UserTx, id int64) (admin bool, label string, err error) {
	u, err := tx.GetUser(id)
	if errors.Is(err, meta.ErrNotFound) {
		return false, Label(id, ""), nil
	}
	if err != nil {
		return false, "", fmt.Errorf("get user %d: %w", id, err)
	}
	return u.Role == meta.RoleAdmin, Label(u.ID, u.Username), nil
}

// Names looks usernames up by id within one transaction, once each.
type Names struct {
	tx    meta.UserTx
	known map[int64]string
}

// NewNames returns a lookup on tx.
func NewNames(tx meta.UserTx) *Names { return &Names{tx: tx, known: map[int64]string{}} }

// Ref is the user id with its username ("" for a deleted user).
func (n *Names) Ref(id int64) (UserRef, error) {
	if name, ok := n.known[id]; ok {
		return UserRef{ID: id, Username: name}, nil
	}
	u, err := n.tx.GetUser(id)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		n.known[id] = ""
	case err != nil:
		return UserRef{}, fmt.Errorf("get user %d: %w", id, err)
	default:
		n.known[id] = u.Username
	}
	return UserRef{ID: id, Username: n.known[id]}, nil
}

// Label names a user in a message: its username, or its id once the user
// is gone.
func Label(id int64, username string) string {
	if username != "" {
		return username
	}
	return fmt.Sprintf("user #%d", id)
}

// Text says in words who besides the owner and admins may use a resource,
// for the event log: "usable by its owner, admins and alice, bob".
func (g Grants) Text() string {
	switch {
	case g.AllUsers:
		return "usable by every user"
	case len(g.Users) == 0:
		return "usable by its owner and admins only"
	}
	names := make([]string, len(g.Users))
	for i, u := range g.Users {
		names[i] = Label(u.ID, u.Username)
	}
	return "usable by its owner, admins and " + strings.Join(names, ", ")
}
