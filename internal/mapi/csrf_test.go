package mapi

import (
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTheCSRFEndpointSetsTheCookiesClientsRead(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/mapi/v1/csrf", "/v1/csrf", "/csrf"} {
		t.Run(path, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
			req.Host = "admin.eu-test-1.cluster.example" // any Host is served
			r := h.send(req)
			wantOK(t, r)
			var xsrf, session string
			for _, line := range r.header.Values("Set-Cookie") {
				switch {
				case strings.HasPrefix(line, csrfCookie+"="):
					xsrf = line
				case strings.HasPrefix(line, sessionCookie+"="):
					session = line
				}
			}
			if !strings.HasSuffix(xsrf, "; Path=/") || len(xsrf) < len(csrfCookie)+40 {
				t.Fatalf("XSRF cookie %q, want XSRF-TOKEN=<token>; Path=/", xsrf)
			}
			if !strings.HasSuffix(session, "; Path=/; HttpOnly") {
				t.Fatalf("session cookie %q, want vertx-web.session=<id>; Path=/; HttpOnly", session)
			}
		})
	}
}

func TestStateChangingCallsNeedAValidXSRFToken(t *testing.T) {
	h := newHarness(t)
	bearer := h.token("alice")
	good := h.csrf()
	other := h.csrf()
	forged := make([]byte, csrfTokenLen)
	_, _ = rand.Read(forged)
	forgedToken := csrfEncoding.EncodeToString(forged)
	tests := []struct {
		name           string
		header, cookie string
		wantStatus     int
		wantDetails    string
	}{
		{"a call with a matching issued token passes", good, good, 200, ""},
		{"the same token is reusable", good, good, 200, ""},
		{"a missing header is refused", "", good, 403, "missing X-XSRF-TOKEN"},
		{"a missing cookie is refused", good, "", 403, "missing XSRF-TOKEN"},
		{"a header that differs from the cookie is refused", good, other, 403, "does not match"},
		{"a forged token is refused", forgedToken, forgedToken, 403, "not issued"},
		{"a malformed token is refused", "abc", "abc", 403, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.send(h.request("/mapi/v1/user/info", bearer, tt.header, tt.cookie, nil))
			if tt.wantStatus == 200 {
				wantOK(t, r)
				return
			}
			wantError(t, r, 403, CodeCSRFInvalid)
			if !strings.Contains(r.str("details"), tt.wantDetails) {
				t.Fatalf("details %q do not say %q", r.str("details"), tt.wantDetails)
			}
		})
	}

	t.Run("an expired token is refused", func(t *testing.T) {
		h.clock.Advance(DefaultCSRFTTL - time.Minute)
		bearer := h.token("bob") // a fresh bearer token, valid at the new time
		wantOK(t, h.send(h.request("/mapi/v1/user/info", bearer, good, good, nil)))
		h.clock.Advance(2 * time.Minute)
		r := h.send(h.request("/mapi/v1/user/info", bearer, good, good, nil))
		wantError(t, r, 403, CodeCSRFInvalid)
		if !strings.Contains(r.str("details"), "expired") {
			t.Fatalf("details %q do not say expired", r.str("details"))
		}
	})
}

func TestAuthenticationIsCheckedBeforeTheXSRFTokenAndTheBody(t *testing.T) {
	h := newHarness(t)
	huge := strings.NewReader(strings.Repeat("x", MaxBodySize+10))
	wantError(t, h.send(h.request("/mapi/v1/jobs/create", "", "", "", huge)), 401, CodeUnauthorized)
	huge = strings.NewReader(strings.Repeat("x", MaxBodySize+10))
	wantError(t, h.send(h.request("/mapi/v1/jobs/create", h.token("alice"), "", "", huge)), 403, CodeCSRFInvalid)
	// A USER on an admin endpoint: the role is checked before the body.
	x := h.csrf()
	wantError(t, h.send(h.request("/mapi/v1/user/create", h.token("alice"), x, x, strings.NewReader("{"))), 403, CodeForbidden)
}
