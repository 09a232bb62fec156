package mapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// scrapeWith asks a /metrics guarded by AuthorizeMetrics with the
// Authorization header auth (none when empty).
func (h *harness) scrapeWith(auth string) response {
	h.t.Helper()
	guarded := httptest.NewServer(h.handler.AuthorizeMetrics(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"scraped": true}`))
	})))
	defer guarded.Close()
	req, _ := http.NewRequest(http.MethodGet, guarded.URL+"/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return h.send(req)
}

// metricsToken makes a metrics token as admin.
func (h *harness) metricsToken(body string) string {
	h.t.Helper()
	r := h.call("admin", "metrics/token", body)
	wantOK(h.t, r)
	return r.str("token")
}

func TestMetricsNeedAnAdminsTokenOrAMetricsToken(t *testing.T) {
	h := newHarness(t)
	login := h.tokenRequest(passwordForm("admin", testPassword))
	wantOK(t, login)
	tests := []struct {
		name   string
		auth   string
		status int
	}{
		{"no token is refused", "", http.StatusUnauthorized},
		{"another scheme is refused", "Basic YWRtaW46cGFzcw==", http.StatusUnauthorized},
		{"a garbage token is refused", "Bearer abc.def.ghi", http.StatusUnauthorized},
		{"an admin's refresh token is refused", "Bearer " + login.str("refresh_token"), http.StatusUnauthorized},
		{"a user's access token is forbidden", "Bearer " + h.token("alice"), http.StatusForbidden},
		{"an admin's access token scrapes", "Bearer " + h.token("admin"), http.StatusOK},
		{"a metrics token scrapes", "Bearer " + h.metricsToken(""), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.scrapeWith(tt.auth)
			if r.status != tt.status {
				t.Fatalf("got %d, want %d: %s", r.status, tt.status, r.raw)
			}
			switch tt.status {
			case http.StatusOK:
				if r.get("scraped") != true {
					t.Fatalf("the metrics handler did not run: %s", r.raw)
				}
			case http.StatusUnauthorized:
				wantError(t, r, http.StatusUnauthorized, CodeUnauthorized)
				if got := r.header.Get("WWW-Authenticate"); len(got) < 6 || got[:6] != "Bearer" {
					t.Fatalf("WWW-Authenticate %q, want a Bearer challenge", got)
				}
			default:
				wantError(t, r, tt.status, CodeForbidden)
			}
		})
	}
}

func TestAMetricsTokenIsGoodForMetricsOnly(t *testing.T) {
	h := newHarness(t)
	token := h.metricsToken("")
	x := h.csrf()
	r := h.send(h.request("/mapi/v1/user/info", token, x, x, nil))
	wantError(t, r, http.StatusUnauthorized, CodeUnauthorized)
	r = h.send(h.request("/mapi/v1/metrics/token", token, x, x, nil))
	wantError(t, r, http.StatusUnauthorized, CodeUnauthorized)
}

func TestMetricsTokensAreMadeByAdminsWithABoundedLifetime(t *testing.T) {
	h := newHarness(t)
	wantError(t, h.call("alice", "metrics/token", ""), http.StatusForbidden, CodeForbidden)
	wantError(t, h.call("alice", "metrics/revoke_tokens", ""), http.StatusForbidden, CodeForbidden)
	for _, body := range []string{`{"lifetimeSeconds": 59}`, `{"lifetimeSeconds": -1}`, `{"lifetimeSeconds": 315360001}`, `{"lifetimeSeconds": "long"}`} {
		wantError(t, h.call("admin", "metrics/token", body), http.StatusBadRequest, CodeInvalidRequest)
	}
	r := h.call("admin", "metrics/token", "")
	wantOK(t, r)
	if r.num("expiresIn") != 365*24*3600 || r.str("tokenType") != "Bearer" {
		t.Errorf("default token: %s, want a one-year Bearer token", r.raw)
	}
	expires, err := time.Parse(time.RFC3339, r.str("expiresAt"))
	if err != nil || expires.Sub(h.clock.Now()) < 364*24*time.Hour {
		t.Errorf("expiresAt %q (%v), want a year from now", r.str("expiresAt"), err)
	}

	short := h.metricsToken(`{"lifetimeSeconds": 120}`)
	if r := h.scrapeWith("Bearer " + short); r.status != http.StatusOK {
		t.Fatalf("a fresh two-minute token: %d %s", r.status, r.raw)
	}
	h.clock.Advance(121 * time.Second)
	r = h.scrapeWith("Bearer " + short)
	wantError(t, r, http.StatusUnauthorized, CodeUnauthorized)
	if r.str("details") != "token expired" {
		t.Errorf("details %q, want token expired", r.str("details"))
	}
}

func TestRevokingMetricsTokensStopsEveryTokenMadeBefore(t *testing.T) {
	h := newHarness(t)
	old1, old2 := h.metricsToken(""), h.metricsToken("")
	wantOK(t, h.call("admin", "metrics/revoke_tokens", ""))
	for _, tok := range []string{old1, old2} {
		r := h.scrapeWith("Bearer " + tok)
		wantError(t, r, http.StatusUnauthorized, CodeUnauthorized)
		if r.str("details") != "metrics token revoked" {
			t.Errorf("details %q, want metrics token revoked", r.str("details"))
		}
	}
	if r := h.scrapeWith("Bearer " + h.metricsToken("")); r.status != http.StatusOK {
		t.Errorf("a token made after the revocation: %d %s", r.status, r.raw)
	}
	if r := h.scrapeWith("Bearer " + h.token("admin")); r.status != http.StatusOK {
		t.Errorf("an admin's access token after the revocation: %d %s", r.status, r.raw)
	}
}

func TestAMetricsTokenDiesWithItsAdmin(t *testing.T) {
	h := newHarness(t)
	h.addUser("ops", "ADMIN")
	token := h.metricsToken("")
	r := h.call("ops", "metrics/token", "")
	wantOK(t, r)
	opsToken := r.str("token")
	wantOK(t, h.call("admin", "user/delete", `{"id": {"id": `+itoa(h.ids["ops"])+`}}`))
	wantError(t, h.scrapeWith("Bearer "+opsToken), http.StatusUnauthorized, CodeUnauthorized)
	if r := h.scrapeWith("Bearer " + token); r.status != http.StatusOK {
		t.Errorf("another admin's token stopped working: %d %s", r.status, r.raw)
	}
}
