package mapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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
	if r := refreshWith(refresh, "vsp-object-external-client"); r.status != 401 || r.str("error") != "invalid_grant" {
		t.Fatalf("an expired refresh token: %d %s", r.status, r.raw)
	}
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

	r := h.send(h.withCSRF(h.request("/mapi/v1/user/info", login.str("access_token"), "", "", nil)))
	wantError(t, r, 401, CodeUnauthorized)
	refreshed := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "client_id": {"vsp-object-external-client"},
		"refresh_token": {login.str("refresh_token")}})
	if refreshed.status != 401 || refreshed.str("error") != "invalid_grant" {
		t.Fatalf("a deleted user's refresh token: %d %s", refreshed.status, refreshed.raw)
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
