package mapiclient

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeMAPI is a small MAPI server that speaks the wire contract's auth and
// CSRF rules, so the client's retries can be observed.
type fakeMAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu             sync.Mutex
	expiresIn      int64 // access token lifetime handed out
	seq            int
	validAccess    map[string]bool
	validRefresh   map[string]bool
	usedRefresh    map[string]bool // rotated out: presenting one again is a replay
	replays        int
	validCSRF      map[string]bool
	passwordGrants int
	refreshGrants  int
	csrfFetches    int
	calls          map[string]int // MAPI path → requests, retries included
	lastBody       map[string]string
	// userDeleted: the logged-in user was deleted, and the server says so
	// of its access and refresh tokens, as Quarry's does.
	userDeleted bool
	// states are the jobState answers of successive jobs/status calls;
	// the last one repeats. Empty: EXECUTING.
	states []string
}

func newFakeMAPI(t *testing.T) *fakeMAPI {
	f := &fakeMAPI{
		t:            t,
		expiresIn:    300,
		validAccess:  map[string]bool{},
		validRefresh: map[string]bool{},
		usedRefresh:  map[string]bool{},
		validCSRF:    map[string]bool{},
		calls:        map[string]int{},
		lastBody:     map[string]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ui/auth/realms/vsp-object/protocol/openid-connect/token", f.token)
	mux.HandleFunc("GET /mapi/v1/csrf", f.csrf)
	mux.HandleFunc("POST /mapi/v1/", f.mapi)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMAPI) URL() string { return f.srv.URL }

// revokeAccessTokens makes every access token handed out so far invalid,
// as if they expired on the server's clock.
func (f *fakeMAPI) revokeAccessTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.validAccess = map[string]bool{}
}

// revokeCSRF makes every CSRF token handed out so far invalid.
func (f *fakeMAPI) revokeCSRF() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.validCSRF = map[string]bool{}
}

func (f *fakeMAPI) revokeRefreshTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.validRefresh = map[string]bool{}
}

func (f *fakeMAPI) deleteUser() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.userDeleted = true
}

func (f *fakeMAPI) count(what *int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *what
}

func (f *fakeMAPI) callCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func (f *fakeMAPI) body(path string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastBody[path]
}

func (f *fakeMAPI) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.PostFormValue("client_id") != ClientID {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	switch r.PostFormValue("grant_type") {
	case "password":
		f.passwordGrants++
		if r.PostFormValue("username") != "root" || r.PostFormValue("password") != "secret" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_grant", "error_description": "Invalid user credentials"})
			return
		}
	case "refresh_token":
		// Refresh tokens rotate, and a replay revokes every session, as
		// Quarry's server does with a token's family.
		f.refreshGrants++
		if f.userDeleted {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_grant", "error_description": "the token's user no longer exists"})
			return
		}
		presented := r.PostFormValue("refresh_token")
		if f.usedRefresh[presented] {
			f.replays++
			f.validRefresh, f.validAccess = map[string]bool{}, map[string]bool{}
		}
		if !f.validRefresh[presented] {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Token is not active"})
			return
		}
		delete(f.validRefresh, presented)
		f.usedRefresh[presented] = true
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	f.seq++
	access, refresh := fmt.Sprintf("access-%d", f.seq), fmt.Sprintf("refresh-%d", f.seq)
	f.validAccess[access], f.validRefresh[refresh] = true, true
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": f.expiresIn,
		"refresh_token": refresh, "refresh_expires_in": 1800,
	})
}

func (f *fakeMAPI) csrf(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.csrfFetches++
	f.seq++
	tok := fmt.Sprintf("csrf-%d", f.seq)
	f.validCSRF[tok] = true
	http.SetCookie(w, &http.Cookie{Name: "XSRF-TOKEN", Value: tok, Path: "/"})
	http.SetCookie(w, &http.Cookie{Name: "vertx-web.session", Value: "sess-" + tok, Path: "/", HttpOnly: true})
	w.WriteHeader(http.StatusOK)
}

func (f *fakeMAPI) mapi(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/mapi/v1/")
	var body json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, apiErrBody("INVALID_REQUEST", "malformed JSON", err.Error()))
		return
	}
	f.mu.Lock()
	f.calls[path]++
	f.lastBody[path] = string(body)
	access := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	authorized := f.validAccess[access]
	userDeleted := f.userDeleted
	cookie, _ := r.Cookie("XSRF-TOKEN")
	csrfOK := cookie != nil && cookie.Value == r.Header.Get("X-XSRF-TOKEN") && f.validCSRF[cookie.Value]
	f.mu.Unlock()
	if userDeleted {
		writeJSON(w, http.StatusUnauthorized, apiErrBody("UNAUTHORIZED", "Access was denied due to invalid credentials.", "the token's user no longer exists"))
		return
	}
	if !authorized {
		writeJSON(w, http.StatusUnauthorized, apiErrBody("UNAUTHORIZED", "Access was denied due to invalid credentials.", ""))
		return
	}
	if !csrfOK {
		writeJSON(w, http.StatusForbidden, apiErrBody("CSRF_TOKEN_INVALID", "missing or invalid XSRF token", ""))
		return
	}
	switch path {
	case "user/info":
		writeJSON(w, http.StatusOK, map[string]any{"id": map[string]int{"id": 1}, "username": "root", "role": "ADMIN", "extra": "kept"})
	case "jobs/create":
		writeJSON(w, http.StatusConflict, apiErrBody("CONFLICT", "job 12 of type METRIC_RECONCILIATION is already active on bucket photos", map[string]int{"jobId": 12}))
	case "jobs/status":
		writeJSON(w, http.StatusOK, map[string]any{"status": map[string]any{
			"jobId": map[string]int{"id": 17}, "jobState": f.nextState(), "jobType": "METRIC_RECONCILIATION",
			"startTime": "2026-01-01T12:00:00Z", "jobParams": map[string]string{"dryRun": "true"},
			"jobStats": map[string]int{"processed": 1200, "failed": 3, "total": 5000}, "bucketName": "photos",
			"result": map[string]int{"objectsBefore": 7},
		}})
	case "jobs/list":
		writeJSON(w, http.StatusOK, map[string]any{"jobs": []any{}})
	case "user/delete":
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		writeJSON(w, http.StatusNotFound, apiErrBody("NOT_FOUND", "no such endpoint", ""))
	}
}

func (f *fakeMAPI) nextState() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch len(f.states) {
	case 0:
		return StateExecuting
	case 1:
		return f.states[0]
	}
	st := f.states[0]
	f.states = f.states[1:]
	return st
}

func apiErrBody(code, message string, details any) map[string]any {
	return map[string]any{"code": code, "message": message, "details": details}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
