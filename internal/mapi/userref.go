package mapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/quarrylabs/quarry/internal/auth"
)

// userIDField is a MAPI numeric user id as the vendor's clients send it: a
// JSON integer (revoke_credentials) or a string holding one
// (list_buckets). Set says whether the field was present; null, a
// fraction or any other string is a 400, never "absent", because on a
// destructive call absent means "the caller's own".
type userIDField struct {
	Set bool
	ID  int64
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *userIDField) UnmarshalJSON(data []byte) error {
	raw := bytes.TrimSpace(data)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return &fieldTypeError{field: "id", want: "an integer or a string holding one"}
		}
		raw = []byte(s)
	}
	id, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return &fieldTypeError{field: "id", want: "an integer or a string holding one"}
	}
	*f = userIDField{Set: true, ID: id}
	return nil
}

// subjectUser is the user a call that takes an optional id acts on: the
// caller when id is absent or its own, otherwise (admins only) the user
// with that id. A non-admin naming someone else is refused before the id
// is looked up, so the answer says nothing about which ids exist.
func (h *Handler) subjectUser(ctx context.Context, caller auth.Principal, id userIDField) (auth.Principal, error) {
	if !id.Set || id.ID == caller.UserID {
		return caller, nil
	}
	if !caller.Admin() {
		return auth.Principal{}, forbidden("only an administrator may name another user's id")
	}
	u, err := h.cfg.Users.GetUser(ctx, id.ID)
	if errors.Is(err, auth.ErrNoSuchUser) {
		return auth.Principal{}, notFound("user %d does not exist", id.ID)
	}
	if err != nil {
		return auth.Principal{}, err
	}
	return auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role}, nil
}
