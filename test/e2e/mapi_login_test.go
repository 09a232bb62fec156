package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// newMAPIClientFrom is newMAPIClient connecting from localIP (any address
// of 127.0.0.0/8 is loopback on Linux), so that the server sees another
// client address. Every request also claims, in X-Forwarded-For, to come
// from forwardedFor, which the server must not believe.
func newMAPIClientFrom(t *testing.T, srv *server, localIP, forwardedFor string) *mapiClient {
	c := newMAPIClient(t, srv)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: 10 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = dialer.DialContext
	c.hc = &http.Client{Timeout: 30 * time.Second, Transport: forwardedForTransport{tr, forwardedFor}}
	return c
}

type forwardedForTransport struct {
	next http.RoundTripper
	addr string
}

func (f forwardedForTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.addr != "" {
		r = r.Clone(r.Context())
		r.Header.Set("X-Forwarded-For", f.addr)
		r.Header.Set("X-Real-Ip", f.addr)
	}
	return f.next.RoundTrip(r)
}

// wantTooManyLogins fails t unless tr is the throttle's 429 in the OAuth
// error format, and returns its Retry-After.
func wantTooManyLogins(t *testing.T, what string, tr tokenResponse) time.Duration {
	t.Helper()
	secs, err := strconv.Atoi(tr.RetryAfter)
	if tr.Status != http.StatusTooManyRequests || tr.Error != "temporarily_unavailable" ||
		tr.ErrorDescription == "" || tr.AccessToken != "" || err != nil || secs < 1 {
		t.Fatalf("%s: %+v, want 429 temporarily_unavailable with a Retry-After of whole seconds", what, tr)
	}
	return time.Duration(secs) * time.Second
}

func TestLoginAfterThirtyWrongPasswordsWaitsOutTheBackOffEvenWithTheRightOne(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	c := newMAPIClient(t, srv)

	checked, throttled := 0, 0
	for i := range 30 {
		tr := c.passwordGrant(rootUser, fmt.Sprintf("wrong-guess-%02d", i))
		switch tr.Status {
		case http.StatusUnauthorized:
			if tr.Error != "invalid_grant" {
				t.Fatalf("wrong password %d: %+v, want invalid_grant", i+1, tr)
			}
			checked++
		case http.StatusTooManyRequests:
			if i < 6 {
				t.Fatalf("wrong password %d was throttled; the first five failures are free and the sixth is checked", i+1)
			}
			wantTooManyLogins(t, fmt.Sprintf("wrong password %d", i+1), tr)
			throttled++
		default:
			t.Fatalf("wrong password %d: %+v", i+1, tr)
		}
	}
	// Six checked (five free, the sixth starts a 1 s wait), the rest
	// refused unchecked; a slow machine may let a wait end once or twice.
	if checked < 6 || checked > 9 || throttled == 0 {
		t.Fatalf("of 30 wrong passwords %d were checked and %d throttled, want about 6 checked", checked, throttled)
	}

	wait := wantTooManyLogins(t, "the right password right after", c.passwordGrant(rootUser, rootPassword))
	time.Sleep(wait + 100*time.Millisecond)
	if tr := c.passwordGrant(rootUser, rootPassword); tr.Status != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("the right password after waiting %v: %+v, want 200 with tokens", wait, tr)
	}

	out := srv.Output()
	if !strings.Contains(out, "login locked out") || !strings.Contains(out, "username="+rootUser) ||
		!strings.Contains(out, "address=127.0.0.1") {
		t.Errorf("the lockout is not logged with the username and the address:\n%s", tail(out, 3000))
	}
	if strings.Contains(out, "wrong-guess") || strings.Contains(out, rootPassword) {
		t.Errorf("a password is in the server's log")
	}
}

func TestLoginFailuresFromOneAddressAcrossUsernamesThrottleThatAddressOnly(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{})
	// The attacker claims to be the honest client in X-Forwarded-For.
	attacker := newMAPIClientFrom(t, srv, "127.0.0.2", "127.0.0.3")
	honest := newMAPIClientFrom(t, srv, "127.0.0.3", "")

	// Twenty-one usernames, one guess each: no username reaches its
	// limit, the address passes its twenty free failures.
	for i := range 21 {
		if tr := attacker.passwordGrant(fmt.Sprintf("sprayed-%02d", i), "password-guess"); tr.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %+v, want 401", i+1, tr)
		}
	}
	wait := wantTooManyLogins(t, "the right password from the sprayed address", attacker.passwordGrant(rootUser, rootPassword))
	if tr := honest.passwordGrant(rootUser, rootPassword); tr.Status != http.StatusOK {
		t.Fatalf("the same user from another address: %+v, want 200", tr)
	}
	wantTooManyLogins(t, "the sprayed address after another's success", attacker.passwordGrant(rootUser, rootPassword))

	time.Sleep(wait + 100*time.Millisecond)
	if tr := attacker.passwordGrant(rootUser, rootPassword); tr.Status != http.StatusOK {
		t.Fatalf("the sprayed address after waiting %v: %+v, want 200", wait, tr)
	}
	if out := srv.Output(); !strings.Contains(out, "by=address") || !strings.Contains(out, "address=127.0.0.2") {
		t.Errorf("the address lockout is not logged:\n%s", tail(out, 3000))
	}
}

func TestTokenRefreshRotatesAndAReplayRevokesTheNewestToo(t *testing.T) {
	t.Parallel()
	c := newMAPIClient(t, sharedSrv)
	stolen := c.passwordGrant(rootUser, rootPassword)
	other := c.passwordGrant(rootUser, rootPassword) // another login of the same user
	if stolen.Status != http.StatusOK || other.Status != http.StatusOK {
		t.Fatalf("password grants: %+v, %+v", stolen, other)
	}

	// A chain of refreshes: each answers a new refresh token that works.
	chain := other.RefreshToken
	for i := range 3 {
		tr := c.refreshGrant(chain)
		if tr.Status != http.StatusOK || tr.RefreshToken == "" || tr.RefreshToken == chain {
			t.Fatalf("refresh %d: %+v, want 200 with a new refresh token", i+1, tr)
		}
		chain = tr.RefreshToken
	}

	renewed := c.refreshGrant(stolen.RefreshToken)
	if renewed.Status != http.StatusOK || renewed.RefreshToken == stolen.RefreshToken {
		t.Fatalf("refresh: %+v, want 200 with a new refresh token", renewed)
	}
	cc := newMAPIClient(t, sharedSrv)
	cc.AccessToken = renewed.AccessToken
	cc.fetchCSRF()
	wantUser(t, "the renewed access token", cc, rootUser, "ADMIN")

	if tr := c.refreshGrant(stolen.RefreshToken); tr.Status != http.StatusUnauthorized || tr.Error != "invalid_grant" {
		t.Fatalf("the rotated-out refresh token: %+v, want 401 invalid_grant", tr)
	}
	if tr := c.refreshGrant(renewed.RefreshToken); tr.Status != http.StatusUnauthorized || tr.Error != "invalid_grant" {
		t.Fatalf("the newest refresh token after a replay of an old one: %+v, want 401 invalid_grant", tr)
	}
	if tr := c.refreshGrant(chain); tr.Status != http.StatusOK {
		t.Fatalf("another login's refresh token after the replay: %+v, want 200", tr)
	}
	if out := sharedSrv.Output(); !strings.Contains(out, "refresh token reused") || strings.Contains(out, stolen.RefreshToken) {
		t.Errorf("the replay is not logged, or the token is in the log")
	}
}

func TestLoginFindsAUserByAnyCaseAndANameDifferingOnlyInCaseIsAConflict(t *testing.T) {
	t.Parallel()
	root := mapiRoot(t, sharedSrv)
	name := fmt.Sprintf("Case-Twin-%d", bucketSeq.Add(1))
	const password = "case-twin-password"
	root.createUser(name, password, "USER")

	for _, twin := range []string{strings.ToLower(name), strings.ToUpper(name)} {
		resp := root.post("user/create", map[string]any{"username": twin, "password": "another-password", "role": "ADMIN"})
		if e, ok := resp.apiError(); resp.Status != http.StatusConflict || !ok || e.Code != "CONFLICT" {
			t.Errorf("user/create %s beside %s: %s, want 409 CONFLICT", twin, name, resp)
		}
	}
	u := mapiLogin(t, sharedSrv, strings.ToUpper(name), password)
	wantUser(t, "logged in by the upper-case name", u, name, "USER")

	// The CLI finds the user by any case too.
	h := newCLIHome(t, sharedSrv)
	h.login(rootUser, rootPassword)
	h.ok("user", "delete", strings.ToLower(name))
	if tr := u.passwordGrant(name, password); tr.Status != http.StatusUnauthorized {
		t.Errorf("login after the delete: %+v, want 401", tr)
	}
}

func TestCLIKeepsItsSessionAcrossAccessTokenExpiryAndRefreshTokenRotation(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{Args: []string{"--access-token-ttl", "2s"}})
	h := newCLIHome(t, srv)
	h.login(rootUser, rootPassword)
	refreshToken := func() string {
		t.Helper()
		var s struct {
			RefreshToken string `json:"refreshToken"`
		}
		raw, err := os.ReadFile(h.sessionPath())
		if err != nil {
			t.Fatalf("read session: %v", err)
		}
		if err := json.Unmarshal(raw, &s); err != nil || s.RefreshToken == "" {
			t.Fatalf("session file holds no refresh token: %v", err)
		}
		return s.RefreshToken
	}

	// Each run after the access token's expiry refreshes, and must save
	// the rotated refresh token for the next.
	seen := map[string]bool{refreshToken(): true}
	for i, args := range [][]string{{"user", "info"}, {"job", "list"}, {"user", "list"}} {
		time.Sleep(2100 * time.Millisecond)
		h.ok(args...)
		rt := refreshToken()
		if seen[rt] {
			t.Fatalf("run %d (%s) after expiry saved no new refresh token", i+1, strings.Join(args, " "))
		}
		seen[rt] = true
	}

	// Several runs at once after the expiry: one refreshes, the others
	// use what it saved, and none is taken for a replay.
	time.Sleep(2100 * time.Millisecond)
	runs := [][]string{{"user", "info"}, {"job", "list"}, {"user", "list"}, {"user", "info"}}
	results := make([]cliResult, len(runs))
	var wg sync.WaitGroup
	for i, args := range runs {
		wg.Go(func() { results[i] = h.run("", nil, args...) })
	}
	wg.Wait()
	for i, res := range results {
		if res.code != 0 {
			t.Errorf("concurrent run %d (%s): %s", i+1, strings.Join(runs[i], " "), res)
		}
	}
	time.Sleep(2100 * time.Millisecond)
	if out := h.ok("user", "info").stdout; !strings.Contains(out, rootUser) {
		t.Errorf("user info after the concurrent runs:\n%s", out)
	}
	if out := srv.Output(); strings.Contains(out, "refresh token reused") {
		t.Errorf("a CLI run replayed a rotated-out refresh token:\n%s", tail(out, 3000))
	}
}
