package mapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// tokenFrom posts form to the token endpoint as a client at addr (the
// connection's remote address), with extra headers, straight to the handler.
func (h *harness) tokenFrom(addr string, form url.Values, header map[string]string) response {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, TokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	out := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.body)
	return out
}

// wantThrottled asserts a 429 in the OAuth error format with Retry-After.
func wantThrottled(t *testing.T, what string, r response, retryAfter string) {
	t.Helper()
	if r.status != http.StatusTooManyRequests || r.str("error") != "temporarily_unavailable" ||
		!strings.Contains(r.str("error_description"), "Too many failed logins") || len(r.body) != 2 {
		t.Fatalf("%s: %d %s, want 429 {error: temporarily_unavailable, error_description}", what, r.status, r.raw)
	}
	if got := r.header.Get("Retry-After"); got != retryAfter {
		t.Fatalf("%s: Retry-After %q, want %q", what, got, retryAfter)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%s: Cache-Control %q, want no-store", what, r.header.Get("Cache-Control"))
	}
	if r.str("access_token") != "" {
		t.Fatalf("%s: a throttled answer carries a token: %s", what, r.raw)
	}
}

func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: %d %s, want %d", what, r.status, r.raw, status)
	}
}

const attacker = "192.0.2.7:40000"

func TestFailedLoginsOfAUsernameBackOffAndEvenTheRightPasswordWaits(t *testing.T) {
	h := newHarness(t)
	for i := range 6 {
		// Any case of the name counts against the one user.
		name := []string{"alice", "ALICE", "Alice"}[i%3]
		wantStatus(t, "wrong password", h.tokenFrom(attacker, passwordForm(name, "wrong password"), nil), 401)
	}
	wantThrottled(t, "the right password after 6 failures", h.tokenFrom(attacker, passwordForm("alice", testPassword), nil), "1")
	wantThrottled(t, "from another address", h.tokenFrom("198.51.100.1:1", passwordForm("alice", testPassword), nil), "1")
	wantStatus(t, "another user from the same address", h.tokenFrom(attacker, passwordForm("bob", testPassword), nil), 200)

	h.clock.Advance(time.Second)
	wantStatus(t, "a wrong password after the wait", h.tokenFrom(attacker, passwordForm("alice", "wrong again"), nil), 401)
	wantThrottled(t, "after the 7th failure", h.tokenFrom(attacker, passwordForm("alice", testPassword), nil), "2")
	h.clock.Advance(1500 * time.Millisecond)
	wantThrottled(t, "half a second before the end", h.tokenFrom(attacker, passwordForm("alice", testPassword), nil), "1")
	h.clock.Advance(500 * time.Millisecond)
	wantStatus(t, "the right password after the wait", h.tokenFrom(attacker, passwordForm("alice", testPassword), nil), 200)

	// The success reset the username: five free failures again.
	for range 5 {
		wantStatus(t, "wrong password after a success", h.tokenFrom(attacker, passwordForm("alice", "wrong password"), nil), 401)
	}
	wantStatus(t, "the right password", h.tokenFrom(attacker, passwordForm("alice", testPassword), nil), 200)
}

func TestFailedLoginsFromAnAddressBackOffAcrossUsernames(t *testing.T) {
	h := newHarness(t)
	spoofed := map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Real-Ip": "203.0.113.9"}
	for i := range 21 {
		name := "nobody-" + itoa(int64(i))
		wantStatus(t, "unknown user", h.tokenFrom(attacker, passwordForm(name, "guess"), spoofed), 401)
	}
	wantThrottled(t, "a real user from the address", h.tokenFrom(attacker, passwordForm("alice", testPassword), nil), "1")
	spoofed["X-Forwarded-For"] = "203.0.113.10"
	wantThrottled(t, "with another forwarded-for header", h.tokenFrom(attacker, passwordForm("alice", testPassword), spoofed), "1")
	wantStatus(t, "the same user from another address", h.tokenFrom("198.51.100.1:1", passwordForm("alice", testPassword), nil), 200)
	wantThrottled(t, "a login from the address after another's success", h.tokenFrom(attacker, passwordForm("bob", testPassword), nil), "1")

	h.clock.Advance(time.Second)
	wantStatus(t, "after the wait", h.tokenFrom(attacker, passwordForm("alice", testPassword), nil), 200)
	// A success does not clear an address: its next failure waits again.
	wantStatus(t, "one more unknown user", h.tokenFrom(attacker, passwordForm("nobody-x", "guess"), nil), 401)
	wantThrottled(t, "after that failure", h.tokenFrom(attacker, passwordForm("alice", testPassword), nil), "2")
}

func TestEachLockoutIsLoggedWithoutThePassword(t *testing.T) {
	h := newHarness(t)
	for range 6 {
		h.tokenFrom(attacker, passwordForm("alice", "hunter2-secret"), nil)
	}
	logs := h.logs.String()
	if strings.Count(logs, "login locked out") != 1 {
		t.Fatalf("want one lockout line after 6 failures:\n%s", logs)
	}
	for _, want := range []string{"level=WARN", "by=username", "username=alice", "address=192.0.2.7", "failures=6", "wait=1s"} {
		if !strings.Contains(logs, want) {
			t.Errorf("lockout log does not say %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "hunter2") {
		t.Errorf("the password is in the log:\n%s", logs)
	}
	h.clock.Advance(time.Second)
	h.tokenFrom(attacker, passwordForm("alice", "hunter2-secret"), nil)
	if n := strings.Count(h.logs.String(), "login locked out"); n != 2 {
		t.Errorf("%d lockout lines after the 7th failure, want 2", n)
	}
}

func TestANameNoUserCanHaveIsThrottledByAddressOnly(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("x", 100_000)
	for range 3 {
		wantStatus(t, "an overlong name", h.tokenFrom(attacker, passwordForm(long, "guess"), nil), 401)
	}
	if n := h.handler.logins.users.Len(); n != 0 {
		t.Fatalf("%d usernames remembered for names that cannot exist", n)
	}
	if n := h.handler.logins.addrs.Len(); n != 1 {
		t.Fatalf("%d addresses remembered, want 1", n)
	}
}

func TestClientAddressIsTheConnectionsPeer(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"192.0.2.7:40000", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:40000", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[fe80::1%eth0]:443", "fe80::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		t.Run(tt.remote, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, TokenPath, nil)
			r.RemoteAddr = tt.remote
			r.Header.Set("X-Forwarded-For", "203.0.113.1")
			if got := clientAddress(r); got != tt.want {
				t.Fatalf("clientAddress(%q) = %q, want %q", tt.remote, got, tt.want)
			}
		})
	}
}
