package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// wantUnauthorized fails t unless resp is the contract's 401 body.
func wantUnauthorized(t *testing.T, what string, resp mapiResponse) {
	t.Helper()
	e, ok := resp.apiError()
	if resp.Status != http.StatusUnauthorized || !ok || e.Code != "UNAUTHORIZED" ||
		e.Message != "Access was denied due to invalid credentials." {
		t.Errorf("%s: %s, want 401 UNAUTHORIZED \"Access was denied due to invalid credentials.\"", what, resp)
	}
}

// wantUser fails t unless user/info through c answers username.
func wantUser(t *testing.T, what string, c *mapiClient, username, role string) {
	t.Helper()
	resp := c.post("user/info", nil)
	var info struct {
		ID struct {
			ID int64 `json:"id"`
		} `json:"id"`
		Username string `json:"username"`
		Role     string `json:"role"`
	}
	if resp.Status != http.StatusOK || decodeInto(resp, &info) != nil {
		t.Errorf("%s: user/info %s, want 200", what, resp)
		return
	}
	if info.Username != username || info.Role != role || info.ID.ID == 0 {
		t.Errorf("%s: user/info answered %+v, want %s (%s)", what, info, username, role)
	}
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	c := newMAPIClient(t, sharedSrv)

	t.Run("a password grant answers a bearer token pair that works", func(t *testing.T) {
		c := c.as(t)
		tr := c.passwordGrant(rootUser, rootPassword)
		if tr.Status != http.StatusOK || tr.TokenType != "Bearer" || tr.AccessToken == "" || tr.RefreshToken == "" ||
			tr.ExpiresIn != 300 || tr.RefreshExpiresIn != 1800 {
			t.Fatalf("password grant: %+v, want 200 Bearer with expires_in 300 and refresh_expires_in 1800", tr)
		}
		cc := newMAPIClient(t, sharedSrv)
		cc.AccessToken = tr.AccessToken
		cc.fetchCSRF()
		wantUser(t, "fresh token", cc, rootUser, "ADMIN")
	})

	refused := []struct {
		name      string
		form      url.Values
		status    int
		wantError string
		wantDesc  string
	}{
		{"a wrong password is an invalid_grant",
			url.Values{"grant_type": {"password"}, "client_id": {mapiClientID}, "username": {rootUser}, "password": {"not-the-password"}},
			http.StatusUnauthorized, "invalid_grant", "Invalid user credentials"},
		{"an unknown user is the same invalid_grant",
			url.Values{"grant_type": {"password"}, "client_id": {mapiClientID}, "username": {"nobody-here"}, "password": {rootPassword}},
			http.StatusUnauthorized, "invalid_grant", "Invalid user credentials"},
		{"an unknown client_id is an invalid_client",
			url.Values{"grant_type": {"password"}, "client_id": {"some-other-client"}, "username": {rootUser}, "password": {rootPassword}},
			http.StatusUnauthorized, "invalid_client", ""},
		{"a forged refresh token is an invalid_grant",
			url.Values{"grant_type": {"refresh_token"}, "client_id": {mapiClientID}, "refresh_token": {"eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"}},
			http.StatusUnauthorized, "invalid_grant", ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			c := c.as(t)
			tr := c.grant(tc.form)
			if tr.Status != tc.status || tr.Error != tc.wantError || tr.AccessToken != "" ||
				(tc.wantDesc != "" && tr.ErrorDescription != tc.wantDesc) {
				t.Errorf("got %+v, want %d error %q %q and no token", tr, tc.status, tc.wantError, tc.wantDesc)
			}
		})
	}

	t.Run("requests without a valid bearer token are refused", func(t *testing.T) {
		good := mapiRoot(t, sharedSrv)
		for name, token := range map[string]string{
			"no token":               "",
			"garbage":                "not-a-jwt",
			"the refresh token":      good.RefreshToken,
			"a token with a bad MAC": good.AccessToken[:len(good.AccessToken)-4] + "AAAA",
		} {
			cc := *good
			cc.AccessToken = token
			wantUnauthorized(t, name, cc.post("user/info", nil))
		}
	})

	t.Run("a deleted user's tokens stop working at once", func(t *testing.T) {
		root := mapiRoot(t, sharedSrv)
		name := fmt.Sprintf("doomed-%d", bucketSeq.Add(1))
		id := root.createUser(name, "password-doomed-123", "USER")
		u := mapiLogin(t, sharedSrv, name, "password-doomed-123")
		wantUser(t, "before the delete", u, name, "USER")
		root.must("user/delete", map[string]any{"id": map[string]any{"id": id}}, nil)
		wantUnauthorized(t, "access token of a deleted user", u.post("user/info", nil))
		if tr := u.refreshGrant(u.RefreshToken); tr.Status != http.StatusUnauthorized || tr.Error != "invalid_grant" {
			t.Errorf("refresh grant of a deleted user: %+v, want 401 invalid_grant", tr)
		}
		if tr := u.passwordGrant(name, "password-doomed-123"); tr.Status != http.StatusUnauthorized || tr.Error != "invalid_grant" {
			t.Errorf("password grant of a deleted user: %+v, want 401 invalid_grant", tr)
		}
	})
}

func TestAccessTokensExpireAndRefreshTokensRenewThem(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{Args: []string{"--access-token-ttl", "2s"}})
	c := newMAPIClient(t, srv)
	tr := c.passwordGrant(rootUser, rootPassword)
	if tr.Status != http.StatusOK || tr.ExpiresIn != 2 {
		t.Fatalf("password grant: %+v, want 200 with expires_in 2", tr)
	}
	issued := time.Now()
	c.AccessToken, c.RefreshToken = tr.AccessToken, tr.RefreshToken
	c.fetchCSRF()
	wantUser(t, "fresh token", c, rootUser, "ADMIN")

	// Poll until the token is refused: it must be, within its lifetime
	// plus a second of clock rounding, and not before it was issued 1s ago.
	var resp mapiResponse
	for {
		resp = c.post("user/info", nil)
		if resp.Status != http.StatusOK || time.Since(issued) > 5*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if age := time.Since(issued); age < time.Second {
		t.Errorf("the 2s token was refused after only %v", age)
	}
	wantUnauthorized(t, "expired access token", resp)

	renewed := c.refreshGrant(c.RefreshToken)
	if renewed.Status != http.StatusOK || renewed.AccessToken == "" || renewed.AccessToken == tr.AccessToken {
		t.Fatalf("refresh grant: %+v, want 200 with a new access token", renewed)
	}
	c.AccessToken = renewed.AccessToken
	wantUser(t, "refreshed token", c, rootUser, "ADMIN")
}
