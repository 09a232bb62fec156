package mapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
)

// authenticate checks the bearer token and returns the caller as the user
// is now: the token proves who, the store says whether the user still
// exists and with which role, so a deleted user is refused at once.
func (h *Handler) authenticate(r *http.Request) (auth.Principal, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return auth.Principal{}, unauthorized("missing bearer token")
	}
	id, _, err := h.verifyToken(token, typAccess)
	if err != nil {
		return auth.Principal{}, unauthorized(err.Error())
	}
	return h.principalOf(r.Context(), id)
}

// principalOf is the user a verified token names, as it is now: a user
// deleted since the token was issued is refused.
func (h *Handler) principalOf(ctx context.Context, id int64) (auth.Principal, error) {
	u, err := h.cfg.Users.GetUser(ctx, id)
	if errors.Is(err, auth.ErrNoSuchUser) {
		return auth.Principal{}, unauthorized("the token's user no longer exists")
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("authenticate user %d: %w", id, err)
	}
	return auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role}, nil
}
