package mapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func (h *harness) logout(form url.Values) response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+LogoutPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.send(req)
}

func logoutForm(refresh string) url.Values {
	return url.Values{"client_id": {"vsp-object-external-client"}, "refresh_token": {refresh}}
}

func TestLogoutEndsTheLoginAndOnlyThatLogin(t *testing.T) {
	h := newHarness(t)
	first := h.tokenRequest(passwordForm("alice", testPassword))
	other := h.tokenRequest(passwordForm("alice", testPassword))
	wantOK(t, first)
	wantOK(t, other)
	h.clock.Advance(time.Second)
	rotated := h.refreshGrant(first.str("refresh_token"))
	wantOK(t, rotated)

	r := h.logout(logoutForm(rotated.str("refresh_token")))
	if r.status != http.StatusNoContent || r.raw != "" {
		t.Fatalf("logout: %d %s, want 204 and no body", r.status, r.raw)
	}
	wantInvalidGrant(t, "the refresh token logged out", h.refreshGrant(rotated.str("refresh_token")))
	// Another login of the same user goes on.
	wantOK(t, h.refreshGrant(other.str("refresh_token")))
	// An older token of the ended login is just invalid (not a replay that
	// records anything: the login is gone).
	wantInvalidGrant(t, "an older token of the ended login", h.refreshGrant(first.str("refresh_token")))
	if r := h.logout(logoutForm(rotated.str("refresh_token"))); r.status != http.StatusNoContent {
		t.Errorf("a second logout: %d %s, want 204", r.status, r.raw)
	}
}

func TestLogoutRefusesWhatIsNoRefreshTokenOfTheClient(t *testing.T) {
	h := newHarness(t)
	login := h.tokenRequest(passwordForm("alice", testPassword))
	wantOK(t, login)
	for name, tt := range map[string]struct {
		form   url.Values
		status int
		code   string
	}{
		"no refresh token":  {url.Values{"client_id": {"vsp-object-external-client"}}, 400, "invalid_request"},
		"an access token":   {logoutForm(login.str("access_token")), 400, "invalid_grant"},
		"garbage":           {logoutForm("not.a.token"), 400, "invalid_grant"},
		"another client":    {url.Values{"client_id": {"quarry-cli"}, "refresh_token": {login.str("refresh_token")}}, 400, "invalid_grant"},
		"an unknown client": {url.Values{"client_id": {"nobody"}, "refresh_token": {login.str("refresh_token")}}, 401, "invalid_client"},
		"a body over 1 MiB": {url.Values{"client_id": {"vsp-object-external-client"}, "x": {strings.Repeat("a", MaxBodySize)}}, 413, "invalid_request"},
	} {
		r := h.logout(tt.form)
		if r.status != tt.status || r.str("error") != tt.code {
			t.Errorf("%s: %d %s, want %d %s", name, r.status, r.raw, tt.status, tt.code)
		}
	}
	h.clock.Advance(time.Second)
	wantOK(t, h.refreshGrant(login.str("refresh_token")))
}

func TestListCredentialsShowsKeysWithoutSecrets(t *testing.T) {
	h := newHarness(t)
	first := h.call("alice", "s3/user/generate_credentials", "")
	time.Sleep(10 * time.Millisecond)
	second := h.call("alice", "s3/user/generate_credentials", "")
	h.call("bob", "s3/user/generate_credentials", "")

	r := h.call("alice", "user/list_credentials", "")
	wantOK(t, r)
	list, _ := r.get("credentials").([]any)
	if len(list) != 2 || list[0].(map[string]any)["accessKey"] != first.str("accessKey") ||
		list[1].(map[string]any)["accessKey"] != second.str("accessKey") {
		t.Fatalf("alice's credentials: %s, want her two keys oldest first", r.raw)
	}
	if strings.Contains(r.raw, first.str("secretKey")) || strings.Contains(r.raw, "secret") {
		t.Errorf("the listing holds a secret: %s", r.raw)
	}
	if _, err := time.Parse(time.RFC3339, list[0].(map[string]any)["creationTime"].(string)); err != nil {
		t.Errorf("creationTime: %v", err)
	}
	wantError(t, h.call("bob", "user/list_credentials", `{"id":`+itoa(h.ids["alice"])+`}`), 403, CodeForbidden)
	if r := h.call("admin", "user/list_credentials", `{"id":`+itoa(h.ids["alice"])+`}`); len(r.get("credentials").([]any)) != 2 {
		t.Errorf("an admin listing alice's keys: %s", r.raw)
	}
}
