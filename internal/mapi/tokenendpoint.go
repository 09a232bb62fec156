package mapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
)

// tokenClients are the OAuth client ids the token endpoint accepts: the
// one the vendor's clients send, Keycloak's admin-cli, and Quarry's CLI.
var tokenClients = map[string]bool{
	"vsp-object-external-client": true,
	"admin-cli":                  true,
	"quarry-cli":                 true,
}

// oauthError is the OAuth 2.0 error body (RFC 6749 section 5.2).
type oauthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	// RetryAfter, if set, is sent as the Retry-After header.
	RetryAfter string `json:"-"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

var (
	// errUserGone: a refresh token that verifies, of a user deleted since
	// (deleting a user ends its logins). Only the holder of a token signed
	// for that user learns it, and it tells a client to log in as someone
	// else rather than to retry.
	errUserGone = &oauthError{Status: http.StatusUnauthorized, Code: "invalid_grant",
		Description: "the token's user no longer exists"}
	errInvalidClient      = &oauthError{Status: http.StatusUnauthorized, Code: "invalid_client"}
	errBadUserCredentials = &oauthError{Status: http.StatusUnauthorized, Code: "invalid_grant",
		Description: "Invalid user credentials"}
	errBadRefreshToken = &oauthError{Status: http.StatusUnauthorized, Code: "invalid_grant",
		Description: "Invalid refresh token"}
	errReusedRefreshToken = &oauthError{Status: http.StatusUnauthorized, Code: "invalid_grant",
		Description: "Refresh token was already used; the session is revoked"}
)

// serveToken is the OAuth 2.0 token endpoint: the password grant and the
// refresh_token grant, form-encoded, answering in OAuth's own format.
func (h *Handler) serveToken(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	pair, err := h.grant(r, w)
	var oe *oauthError
	if errors.As(err, &oe) {
		if oe.RetryAfter != "" {
			w.Header().Set("Retry-After", oe.RetryAfter)
		}
		noteError(r.Context(), oe.Code, oe.Description)
		writeJSON(w, oe.Status, oe)
		return nil
	}
	if err != nil {
		// The access log keeps the cause (never the form: it holds the password).
		accessOf(r.Context()).err = err
		noteError(r.Context(), "server_error", "")
		writeJSON(w, http.StatusInternalServerError, &oauthError{Code: "server_error",
			Description: "request id " + requestID(r.Context())})
		return nil
	}
	writeJSON(w, http.StatusOK, pair)
	return nil
}

func (h *Handler) grant(r *http.Request, w http.ResponseWriter) (tokenPair, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodySize)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return tokenPair{}, &oauthError{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request",
				Description: "request body too large"}
		}
		return tokenPair{}, &oauthError{Status: http.StatusBadRequest, Code: "invalid_request",
			Description: "malformed form body"}
	}
	form := r.PostForm // never the query string: it ends up in logs
	clientID := form.Get("client_id")
	if clientID == "" {
		clientID, _, _ = r.BasicAuth() // client_secret_basic
	}
	if !tokenClients[clientID] {
		return tokenPair{}, errInvalidClient
	}
	switch form.Get("grant_type") {
	case "password":
		return h.passwordGrant(r, form.Get("username"), form.Get("password"), clientID)
	case "refresh_token":
		return h.refreshGrant(r, form.Get("refresh_token"), clientID)
	case "":
		return tokenPair{}, &oauthError{Status: http.StatusBadRequest, Code: "invalid_request",
			Description: "Missing form parameter: grant_type"}
	default:
		return tokenPair{}, &oauthError{Status: http.StatusBadRequest, Code: "unsupported_grant_type",
			Description: "Unsupported grant_type"}
	}
}

// serveLogout ends the login a refresh token belongs to, as Keycloak's
// logout endpoint does (form-encoded client_id and refresh_token, 204):
// every refresh token of that login stops working on every node. Access
// tokens already issued stay valid until they expire (AccessTTL), as
// after a refresh; a client drops its own. A login already ended is
// ended: 204 again. It needs no XSRF token: only the holder of the
// refresh token can name the login.
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	err := h.logout(w, r)
	var oe *oauthError
	switch {
	case errors.As(err, &oe):
		noteError(r.Context(), oe.Code, oe.Description)
		writeJSON(w, oe.Status, oe)
	case err != nil:
		accessOf(r.Context()).err = err
		noteError(r.Context(), "server_error", "")
		writeJSON(w, http.StatusInternalServerError, &oauthError{Code: "server_error",
			Description: "request id " + requestID(r.Context())})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodySize)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &oauthError{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request",
				Description: "request body too large"}
		}
		return &oauthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "malformed form body"}
	}
	form := r.PostForm
	clientID := form.Get("client_id")
	if clientID == "" {
		clientID, _, _ = r.BasicAuth()
	}
	if !tokenClients[clientID] {
		return errInvalidClient
	}
	token := form.Get("refresh_token")
	if token == "" {
		return &oauthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "Missing form parameter: refresh_token"}
	}
	// An expired refresh token still names its login; ending it is what
	// was asked, so only the signature and kind count here.
	id, c, err := h.verifyToken(token, typRefresh)
	if errors.Is(err, errTokenExpired) {
		return nil // its login has ended already
	}
	if err != nil || c.Azp != clientID || c.Sid == "" {
		return &oauthError{Status: http.StatusBadRequest, Code: "invalid_grant", Description: "Invalid refresh token"}
	}
	noteUser(r.Context(), auth.Principal{UserID: id, Username: c.PreferredUsername})
	return h.cfg.Users.EndLogin(r.Context(), c.Sid)
}

// passwordGrant checks a password, unless the username or the client's
// address must wait after failed logins (429, even for the right password:
// that is what makes guessing slow), and starts a refresh token family.
func (h *Handler) passwordGrant(r *http.Request, username, password, clientID string) (tokenPair, error) {
	accessOf(r.Context()).user = loggableUsername(username)
	if username == "" || password == "" {
		return tokenPair{}, errBadUserCredentials
	}
	attempt, err := h.logins.begin(username, clientAddress(r), h.cfg.Now())
	if err != nil {
		return tokenPair{}, err
	}
	p, err := h.cfg.Users.Authenticate(r.Context(), username, password)
	if errors.Is(err, auth.ErrBadCredentials) {
		attempt.fail(r.Context(), h.cfg.Now(), h.loginOwner(r.Context(), username))
		return tokenPair{}, errBadUserCredentials
	}
	if err != nil {
		attempt.cancel()
		return tokenPair{}, fmt.Errorf("password grant for %s: %w", username, err)
	}
	attempt.succeed()
	now := h.cfg.Now()
	f, err := h.cfg.Users.StartRefreshFamily(r.Context(), p, clientID, now, now.Add(h.cfg.RefreshTTL))
	if errors.Is(err, auth.ErrNoSuchUser) {
		return tokenPair{}, errBadUserCredentials // deleted meanwhile
	}
	if err != nil {
		return tokenPair{}, fmt.Errorf("password grant for %s: %w", username, err)
	}
	return h.issueTokens(p, clientID, f, now)
}

// refreshGrant trades a refresh token for a new pair, as the user is now
// (a deleted user gets nothing, a changed role shows in the new tokens).
// The token must have been issued to the same client, as in Keycloak, and
// be its family's current one: the answer carries the next, and the one
// presented stops working. Presenting one that was already rotated out
// revokes the family, so whichever of a thief and its victim refreshes
// second ends the session for both.
func (h *Handler) refreshGrant(r *http.Request, token, clientID string) (tokenPair, error) {
	id, c, err := h.verifyToken(token, typRefresh)
	if err != nil || c.Azp != clientID || c.Sid == "" || c.Gen <= 0 {
		return tokenPair{}, errBadRefreshToken
	}
	now := h.cfg.Now()
	p, f, err := h.cfg.Users.RotateRefreshToken(r.Context(), c.Sid, c.Gen, now, now.Add(h.cfg.RefreshTTL))
	switch {
	case errors.Is(err, auth.ErrRefreshTokenReused):
		h.cfg.Logger.Warn("mapi refresh token reused; its session is revoked",
			"request_id", requestID(r.Context()), "user_id", f.UserID, "client_id", f.ClientID,
			"address", clientAddress(r), "err", err)
		h.recordTokenReuse(r, f.UserID, f.ClientID)
		return tokenPair{}, errReusedRefreshToken
	case errors.Is(err, auth.ErrRefreshFamilyGone):
		return tokenPair{}, h.goneRefreshToken(r, id)
	case err != nil:
		return tokenPair{}, fmt.Errorf("refresh grant for user %d: %w", id, err)
	case p.UserID != id:
		return tokenPair{}, errBadRefreshToken // cannot happen: a family is started for its tokens' subject
	}
	return h.issueTokens(p, clientID, f, now)
}

// goneRefreshToken words the refusal of a refresh token whose login is
// gone: "the token's user no longer exists" when the user was deleted,
// else "Invalid refresh token" (expired or revoked).
func (h *Handler) goneRefreshToken(r *http.Request, userID int64) error {
	_, err := h.cfg.Users.GetUser(r.Context(), userID)
	switch {
	case errors.Is(err, auth.ErrNoSuchUser):
		return errUserGone
	case err != nil:
		return fmt.Errorf("refresh grant for user %d: %w", userID, err)
	}
	return errBadRefreshToken
}

// loggableUsername is what a login's username may be logged or recorded
// as: itself when it is a valid username, else a placeholder, since any
// text may come there (a password typed in the wrong field, say).
func loggableUsername(username string) string {
	switch {
	case username == "":
		return ""
	case auth.ValidateUsername(username) != nil:
		return "(not a valid username)"
	}
	return username
}

// loginOwner is the id of the user a login names, so that it sees the
// refused logins of its account; 0 when no user has that name.
func (h *Handler) loginOwner(ctx context.Context, username string) int64 {
	if h.cfg.Events == nil || auth.ValidateUsername(username) != nil {
		return 0
	}
	u, err := h.cfg.Users.GetUserByName(ctx, username)
	if err != nil {
		return 0
	}
	return u.ID
}

// recordTokenReuse records that a rotated refresh token of userID came
// back: someone holds a copy of the login's tokens.
func (h *Handler) recordTokenReuse(r *http.Request, userID int64, clientID string) {
	if h.cfg.Events == nil {
		return
	}
	name := fmt.Sprintf("id %d", userID)
	if u, err := h.cfg.Users.GetUser(r.Context(), userID); err == nil {
		name = u.Username
	}
	err := h.cfg.Events.Record(r.Context(), events.Event{Type: events.RefreshTokenReused, Subject: "user/" + name,
		Message: fmt.Sprintf("a refresh token of user %s (client %s) was presented again from %s after its rotation; the login is revoked",
			name, clientID, clientAddress(r)),
		OwnerID: userID})
	if err != nil {
		h.cfg.Logger.Warn("record event", "type", events.RefreshTokenReused.Name, "err", err)
	}
}
