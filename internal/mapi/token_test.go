package mapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/storetest"
)

func TestTheTokenEndpointFollowsOAuth(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantError  string
		wantDesc   string
	}{
		{"a good password grant gets a token pair", passwordForm("alice", testPassword), 200, "", ""},
		{"a wrong password is invalid_grant", passwordForm("alice", "wrong password"), 401, "invalid_grant", "Invalid user credentials"},
		{"an unknown user is invalid_grant", passwordForm("nobody", testPassword), 401, "invalid_grant", "Invalid user credentials"},
		{"an empty password is invalid_grant", passwordForm("alice", ""), 401, "invalid_grant", "Invalid user credentials"},
		{"an unknown client is invalid_client", url.Values{"grant_type": {"password"}, "client_id": {"evil"},
			"username": {"alice"}, "password": {testPassword}}, 401, "invalid_client", ""},
		{"a missing client is invalid_client", url.Values{"grant_type": {"password"},
			"username": {"alice"}, "password": {testPassword}}, 401, "invalid_client", ""},
		{"admin-cli is a known client", url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"},
			"username": {"alice"}, "password": {testPassword}}, 200, "", ""},
		{"quarry-cli is a known client", url.Values{"grant_type": {"password"}, "client_id": {"quarry-cli"},
			"username": {"alice"}, "password": {testPassword}}, 200, "", ""},
		{"client_credentials is an unsupported grant", url.Values{"grant_type": {"client_credentials"},
			"client_id": {"admin-cli"}}, 400, "unsupported_grant_type", ""},
		{"a missing grant_type is an invalid request", url.Values{"client_id": {"admin-cli"}}, 400, "invalid_request", ""},
		{"a garbage refresh token is invalid_grant", url.Values{"grant_type": {"refresh_token"},
			"client_id": {"admin-cli"}, "refresh_token": {"abc.def.ghi"}}, 401, "invalid_grant", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.tokenRequest(tt.form)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.raw)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
			}
			if tt.wantStatus != 200 {
				if r.str("error") != tt.wantError || r.str("error_description") != tt.wantDesc && tt.wantDesc != "" {
					t.Fatalf("got %s, want error %q %q", r.raw, tt.wantError, tt.wantDesc)
				}
				if tt.wantError == "invalid_client" && len(r.body) != 1 {
					t.Fatalf("invalid_client body %s, want only error", r.raw)
				}
				return
			}
			if r.str("token_type") != "Bearer" || r.num("expires_in") != 300 || r.num("refresh_expires_in") != 1800 ||
				r.str("access_token") == "" || r.str("refresh_token") == "" {
				t.Fatalf("token pair %s", r.raw)
			}
			info := h.send(h.withCSRF(h.request("/mapi/v1/user/info", r.str("access_token"), "", "", nil)))
			wantOK(t, info)
			if info.str("username") != "alice" {
				t.Fatalf("token is for %s", info.raw)
			}
		})
	}
}

// withCSRF adds a fresh, valid XSRF header and cookie to req.
func (h *harness) withCSRF(req *http.Request) *http.Request {
	x := h.csrf()
	req.Header.Set(csrfHeader, x)
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: x})
	return req
}

func TestBearerTokensExpireAndRefresh(t *testing.T) {
	h := newHarness(t)
	login := h.tokenRequest(passwordForm("alice", testPassword))
	wantOK(t, login)
	access, refresh := login.str("access_token"), login.str("refresh_token")
	info := func(token string) response {
		return h.send(h.withCSRF(h.request("/mapi/v1/user/info", token, "", "", nil)))
	}
	refreshWith := func(token, client string) response {
		return h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "client_id": {client}, "refresh_token": {token}})
	}

	wantOK(t, info(access))

	r := info(refresh)
	wantError(t, r, 401, CodeUnauthorized, unauthorizedMessage)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	if r := refreshWith(access, "vsp-object-external-client"); r.status != 401 || r.str("error") != "invalid_grant" {
		t.Fatalf("an access token used as a refresh token: %d %s", r.status, r.raw)
	}
	if r := refreshWith(refresh, "admin-cli"); r.status != 401 || r.str("error") != "invalid_grant" {
		t.Fatalf("a refresh token used by another client: %d %s", r.status, r.raw)
	}

	h.clock.Advance(301 * time.Second)
	r = info(access)
	wantError(t, r, 401, CodeUnauthorized)
	if !strings.Contains(r.str("details"), "expired") {
		t.Fatalf("details %q do not say the token expired", r.str("details"))
	}

	renewed := refreshWith(refresh, "vsp-object-external-client")
	wantOK(t, renewed)
	wantOK(t, info(renewed.str("access_token")))

	h.clock.Advance(1801 * time.Second)
	if r := refreshWith(renewed.str("refresh_token"), "vsp-object-external-client"); r.status != 401 || r.str("error") != "invalid_grant" {
		t.Fatalf("an expired refresh token: %d %s", r.status, r.raw)
	}
}

// refreshGrant trades a refresh token for a new pair, as vsp-object-external-client.
func (h *harness) refreshGrant(token string) response {
	h.t.Helper()
	return h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "client_id": {"vsp-object-external-client"},
		"refresh_token": {token}})
}

func wantInvalidGrant(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != 401 || r.str("error") != "invalid_grant" || r.str("access_token") != "" {
		t.Fatalf("%s: %d %s, want 401 invalid_grant", what, r.status, r.raw)
	}
}

func TestRefreshTokensRotateOnEveryUse(t *testing.T) {
	h := newHarness(t)
	login := h.tokenRequest(passwordForm("alice", testPassword))
	wantOK(t, login)
	current := login.str("refresh_token")
	seen := map[string]bool{current: true}
	for i := range 3 {
		h.clock.Advance(time.Second) // tokens signed in another second differ anyway
		r := h.refreshGrant(current)
		wantOK(t, r)
		next := r.str("refresh_token")
		if next == "" || seen[next] || r.num("refresh_expires_in") != 1800 {
			t.Fatalf("refresh %d answered %s, want a new refresh token", i+1, r.raw)
		}
		seen[next] = true
		current = next
	}
	// A rotation moves the expiry on: the newest token outlives the first's.
	h.clock.Advance(1790 * time.Second)
	wantOK(t, h.refreshGrant(current))
	// The first token was rotated out long ago, though it has not expired.
	wantInvalidGrant(t, "the first refresh token after rotations", h.refreshGrant(login.str("refresh_token")))
}

func TestAReplayedRefreshTokenRevokesTheWholeSession(t *testing.T) {
	h := newHarness(t)
	login := h.tokenRequest(passwordForm("alice", testPassword))
	wantOK(t, login)
	other := h.tokenRequest(passwordForm("alice", testPassword)) // a second login of the same user
	wantOK(t, other)
	stolen := login.str("refresh_token")
	victim := h.refreshGrant(stolen)
	wantOK(t, victim)

	r := h.refreshGrant(stolen)
	wantInvalidGrant(t, "the rotated-out token", r)
	if !strings.Contains(r.str("error_description"), "already used") {
		t.Fatalf("the reuse answer does not say so: %s", r.raw)
	}
	wantInvalidGrant(t, "the newest token of the revoked session", h.refreshGrant(victim.str("refresh_token")))
	wantInvalidGrant(t, "the replayed token again", h.refreshGrant(stolen))
	wantOK(t, h.refreshGrant(other.str("refresh_token")))

	logs := h.logs.String()
	if !strings.Contains(logs, "refresh token reused") || !strings.Contains(logs, "user_id="+itoa(h.ids["alice"])) {
		t.Fatalf("the reuse is not logged with its user:\n%s", logs)
	}
	if strings.Contains(logs, stolen) {
		t.Fatalf("the refresh token is in the log")
	}
}

func TestEveryNodeSharingTheStoreHonoursTheRotation(t *testing.T) {
	h := newHarness(t)
	// A second node: the same store and token keys, its own services and
	// handler, so nothing is shared but the database.
	second := New(Config{Users: auth.NewService(h.store, storetest.Sealer(t)), Jobs: h.engine, Objects: h.objects,
		Keys: h.handler.cfg.Keys, Logger: h.handler.cfg.Logger, Now: h.clock.Now})
	srv := httptest.NewServer(second)
	t.Cleanup(srv.Close)

	login := h.tokenRequest(passwordForm("alice", testPassword))
	wantOK(t, login)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+TokenPath, strings.NewReader(url.Values{
		"grant_type": {"refresh_token"}, "client_id": {"vsp-object-external-client"},
		"refresh_token": {login.str("refresh_token")}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	onSecond := h.send(req)
	wantOK(t, onSecond)
	wantInvalidGrant(t, "the token the second node rotated out, on the first", h.refreshGrant(login.str("refresh_token")))
	wantInvalidGrant(t, "the second node's answer after the replay", h.refreshGrant(onSecond.str("refresh_token")))
}

func TestADeletedUsersTokensStopWorkingAtOnce(t *testing.T) {
	h := newHarness(t)
	login := h.tokenRequest(passwordForm("carol", testPassword))
	if login.status != 401 {
		t.Fatalf("carol does not exist yet: %d", login.status)
	}
	h.addUser("carol", "USER")
	login = h.tokenRequest(passwordForm("carol", testPassword))
	wantOK(t, login)
	wantOK(t, h.send(h.withCSRF(h.request("/mapi/v1/user/info", login.str("access_token"), "", "", nil))))

	wantOK(t, h.call("admin", "user/delete", `{"id":{"id":`+itoa(h.ids["carol"])+`}}`))

	// Both refusals say why, so that a client tells its user to log in as
	// someone else rather than that the session expired.
	r := h.send(h.withCSRF(h.request("/mapi/v1/user/info", login.str("access_token"), "", "", nil)))
	wantError(t, r, 401, CodeUnauthorized)
	if r.str("details") != "the token's user no longer exists" {
		t.Errorf("a deleted user's access token: details %q", r.str("details"))
	}
	refreshed := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "client_id": {"vsp-object-external-client"},
		"refresh_token": {login.str("refresh_token")}})
	if refreshed.status != 401 || refreshed.str("error") != "invalid_grant" ||
		refreshed.str("error_description") != "the token's user no longer exists" {
		t.Fatalf("a deleted user's refresh token: %d %s", refreshed.status, refreshed.raw)
	}
}

func TestAnExpiredRefreshTokenOfAUserWhoExistsIsJustInvalid(t *testing.T) {
	h := newHarness(t)
	login := h.tokenRequest(passwordForm("alice", testPassword))
	wantOK(t, login)
	h.clock.Advance(1801 * time.Second)
	r := h.refreshGrant(login.str("refresh_token"))
	wantInvalidGrant(t, "an expired refresh token", r)
	if d := r.str("error_description"); d != "Invalid refresh token" {
		t.Errorf("error_description %q, want %q", d, "Invalid refresh token")
	}
}

func TestBadBearerTokensAreRefused(t *testing.T) {
	h := newHarness(t)
	good := h.token("alice")
	parts := strings.Split(good, ".")
	tests := []struct {
		name   string
		header string
	}{
		{"no Authorization header", ""},
		{"a Basic header", "Basic YWxpY2U6cGFzcw=="},
		{"an empty bearer", "Bearer "},
		{"a token that is not a JWT", "Bearer not-a-token"},
		{"a token with a tampered signature", "Bearer " + parts[0] + "." + parts[1] + ".AAAA" + parts[2][4:]},
		{"an unsigned token", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := h.withCSRF(h.request("/mapi/v1/user/info", "", "", "", nil))
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			wantError(t, h.send(req), 401, CodeUnauthorized, unauthorizedMessage)
		})
	}
}
