package mapi

import (
	"context"
	"errors"
	"strconv"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// userJSON is a user as the MAPI shows it (never the password hash).
type userJSON struct {
	ID           idJSON    `json:"id"`
	Username     string    `json:"username"`
	Role         meta.Role `json:"role"`
	CreationTime string    `json:"creationTime,omitempty"`
}

func newUserJSON(u *meta.User) userJSON {
	out := userJSON{ID: idJSON{ID: u.ID}, Username: u.Username, Role: u.Role}
	if !u.CreatedAt.IsZero() {
		out.CreationTime = rfc3339(u.CreatedAt)
	}
	return out
}

func (h *Handler) userInfo(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	return userJSON{ID: idJSON{ID: c.p.UserID}, Username: c.p.Username, Role: c.p.Role}, nil
}

type createUserRequest struct {
	Username string    `json:"username"`
	Password string    `json:"password"`
	Role     meta.Role `json:"role"`
}

// createUser adds an account; role defaults to USER.
func (h *Handler) createUser(ctx context.Context, c *call) (any, error) {
	var req createUserRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.Username == "":
		return nil, invalid("username is required")
	case req.Password == "":
		return nil, invalid("password is required")
	case req.Role == "":
		req.Role = meta.RoleUser
	case req.Role != meta.RoleAdmin && req.Role != meta.RoleUser:
		return nil, invalid("role %q is not valid; allowed: ADMIN, USER", req.Role)
	}
	u, err := h.cfg.Users.CreateUser(ctx, req.Username, req.Password, req.Role)
	if errors.Is(err, auth.ErrUserExists) {
		return nil, conflict("user %s already exists", req.Username)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"user": newUserJSON(u)}, nil
}

type pageRequest struct {
	PageSize  int    `json:"pageSize"`
	PageToken string `json:"pageToken"`
}

func (h *Handler) listUsers(ctx context.Context, c *call) (any, error) {
	var req pageRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	size, err := pageSize(req.PageSize)
	if err != nil {
		return nil, err
	}
	after, err := decodeIDPageToken(req.PageToken)
	if err != nil {
		return nil, err
	}
	users, err := h.cfg.Users.ListUsers(ctx, after, size+1) // one more says whether a next page exists
	if err != nil {
		return nil, err
	}
	next := ""
	if len(users) > size {
		users = users[:size]
		next = encodePageToken(strconv.FormatInt(users[size-1].ID, 10))
	}
	out := make([]userJSON, len(users))
	for i := range users {
		out[i] = newUserJSON(&users[i])
	}
	return pageOf("users", out, next), nil
}

type setRoleRequest struct {
	ID *struct {
		ID *int64 `json:"id"`
	} `json:"id"`
	Role meta.Role `json:"role"`
}

// setUserRole gives another user the role asked for. An admin cannot
// change its own role, so one admin always remains (as with user/delete).
// The body is read strictly: a field it does not know (a password, a
// name) would otherwise look changed when it was not.
func (h *Handler) setUserRole(ctx context.Context, c *call) (any, error) {
	var req setRoleRequest
	if err := decodeStrictJSON(c.body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.ID == nil || req.ID.ID == nil:
		return nil, invalid("id.id is required")
	case req.Role == "":
		return nil, invalid("role is required: ADMIN or USER")
	case req.Role != meta.RoleAdmin && req.Role != meta.RoleUser:
		return nil, invalid("role %q is not valid; allowed: ADMIN, USER", req.Role)
	case *req.ID.ID == c.p.UserID:
		return nil, conflict("you cannot change your own role")
	}
	u, err := h.cfg.Users.SetUserRole(ctx, *req.ID.ID, req.Role)
	if errors.Is(err, auth.ErrNoSuchUser) {
		return nil, notFound("user %d does not exist", *req.ID.ID)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"user": newUserJSON(u)}, nil
}

type deleteUserRequest struct {
	ID *struct {
		ID *int64 `json:"id"`
	} `json:"id"`
}

// deleteUser removes an account. An admin cannot delete itself (so one
// admin always remains), and a user who still owns buckets is kept: its
// buckets would be left without an owner.
func (h *Handler) deleteUser(ctx context.Context, c *call) (any, error) {
	var req deleteUserRequest
	if err := decodeStrictJSON(c.body, &req); err != nil {
		return nil, err
	}
	if req.ID == nil || req.ID.ID == nil {
		return nil, invalid("id.id is required")
	}
	id := *req.ID.ID
	if id == c.p.UserID {
		return nil, conflict("you cannot delete yourself")
	}
	u, err := h.cfg.Users.GetUser(ctx, id)
	if errors.Is(err, auth.ErrNoSuchUser) {
		return nil, notFound("user %d does not exist", id)
	}
	if err != nil {
		return nil, err
	}
	owned, err := h.ownedBuckets(ctx, auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role})
	if err != nil {
		return nil, err
	}
	if n := len(owned); n > 0 {
		e := conflict("user %s still owns %d bucket(s); delete them first", u.Username, n)
		e.Details = "buckets=" + strconv.Itoa(n)
		return nil, e
	}
	if err := h.cfg.Users.DeleteUser(ctx, id); err != nil {
		if errors.Is(err, auth.ErrNoSuchUser) {
			return nil, notFound("user %d does not exist", id)
		}
		return nil, err
	}
	return struct{}{}, nil
}
