package mapiclient

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// loggedIn returns a client of f logged in as root, its session kept in a
// file under a temporary directory.
func loggedIn(t *testing.T, f *fakeMAPI) (*Client, *FileStore) {
	t.Helper()
	store := &FileStore{Path: filepath.Join(t.TempDir(), "quarry", "session.json")}
	c := New(f.URL(), Options{TokenStore: store})
	if err := c.Login(t.Context(), "root", "secret"); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return c, store
}

func TestLoginSavesTheSessionForOnlyItsOwner(t *testing.T) {
	f := newFakeMAPI(t)
	_, store := loggedIn(t, f)

	info, err := os.Stat(store.Path)
	if err != nil {
		t.Fatalf("stat session: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("session file mode = %o, want 600", mode)
	}
	dir, err := os.Stat(filepath.Dir(store.Path))
	if err != nil {
		t.Fatalf("stat session dir: %v", err)
	}
	if mode := dir.Mode().Perm(); mode != 0o700 {
		t.Errorf("session dir mode = %o, want 700", mode)
	}
	s, err := store.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.Endpoint != f.URL() || s.Username != "root" || s.AccessToken == "" || s.RefreshToken == "" {
		t.Errorf("saved session = %+v, want endpoint, username and both tokens", s)
	}
	if d := time.Until(s.AccessTokenExpiry); d < 290*time.Second || d > 300*time.Second {
		t.Errorf("access token expires in %v, want about 300s", d)
	}

	// A later run (a new client on the same store) needs no password.
	later := New(f.URL(), Options{TokenStore: store})
	u, err := later.UserInfo(t.Context())
	if err != nil {
		t.Fatalf("UserInfo from the saved session: %v", err)
	}
	if u.Username != "root" || u.Role != "ADMIN" || u.ID.ID != 1 {
		t.Errorf("UserInfo = %+v", u)
	}
	if got := f.count(&f.passwordGrants); got != 1 {
		t.Errorf("password grants = %d, want 1", got)
	}
}

func TestWrongPasswordIsTheServersMessageAndSavesNothing(t *testing.T) {
	f := newFakeMAPI(t)
	store := &FileStore{Path: filepath.Join(t.TempDir(), "session.json")}
	c := New(f.URL(), Options{TokenStore: store})
	err := c.Login(t.Context(), "root", "wrong")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("Login with a wrong password: %v, want *APIError", err)
	}
	if apiErr.Status != http.StatusUnauthorized || apiErr.Code != "invalid_grant" || apiErr.Message != "Invalid user credentials" {
		t.Errorf("APIError = %+v", apiErr)
	}
	if _, err := store.Load(); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after a failed login: %v, want ErrNoSession", err)
	}
}

func TestCallsWithoutASessionAreNotLoggedIn(t *testing.T) {
	f := newFakeMAPI(t)
	_, store := loggedIn(t, f)
	tests := []struct {
		name     string
		endpoint string
		store    TokenStore
	}{
		{"a client with an empty store", f.URL(), &FileStore{Path: filepath.Join(t.TempDir(), "none.json")}},
		{"a client of another endpoint than the saved session's", "http://127.0.0.1:1", store},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.endpoint, Options{TokenStore: tt.store}).UserInfo(t.Context())
			if !errors.Is(err, ErrNotLoggedIn) {
				t.Errorf("UserInfo: %v, want ErrNotLoggedIn", err)
			}
		})
	}
}

func TestATokenNearExpiryIsRefreshedAndSaved(t *testing.T) {
	f := newFakeMAPI(t)
	c, store := loggedIn(t, f)
	before, _ := store.Load()

	c.now = func() time.Time { return before.AccessTokenExpiry.Add(-10 * time.Second) }
	if _, err := c.UserInfo(t.Context()); err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	if got := f.count(&f.refreshGrants); got != 1 {
		t.Errorf("refresh grants = %d, want 1", got)
	}
	after, _ := store.Load()
	if after.AccessToken == before.AccessToken || after.RefreshToken == before.RefreshToken {
		t.Errorf("saved tokens did not change after a refresh: %+v", after)
	}
	if !after.AccessTokenExpiry.After(before.AccessTokenExpiry) {
		t.Errorf("saved expiry %v is not later than %v", after.AccessTokenExpiry, before.AccessTokenExpiry)
	}
}

func TestAFreshTokenIsNotRefreshed(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	for range 3 {
		if _, err := c.UserInfo(t.Context()); err != nil {
			t.Fatalf("UserInfo: %v", err)
		}
	}
	if got := f.count(&f.refreshGrants); got != 0 {
		t.Errorf("refresh grants = %d, want 0", got)
	}
}

func TestARefusedTokenIsRefreshedOnceAndTheCallRetried(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	f.revokeAccessTokens()
	if _, err := c.UserInfo(t.Context()); err != nil {
		t.Fatalf("UserInfo after the server refused the token: %v", err)
	}
	if got := f.count(&f.refreshGrants); got != 1 {
		t.Errorf("refresh grants = %d, want 1", got)
	}
	if got := f.callCount("user/info"); got != 2 {
		t.Errorf("user/info requests = %d, want 2 (refused, then retried)", got)
	}
}

func TestARefusedRefreshTokenMeansTheSessionExpired(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	f.revokeAccessTokens()
	f.revokeRefreshTokens()
	_, err := c.UserInfo(t.Context())
	if !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("UserInfo: %v, want ErrSessionExpired", err)
	}
	if got := f.callCount("user/info"); got != 1 {
		t.Errorf("user/info requests = %d, want 1 (no retry without a new token)", got)
	}
}

func TestTheCSRFTokenIsFetchedOnceAndReused(t *testing.T) {
	f := newFakeMAPI(t)
	c, store := loggedIn(t, f)
	for range 3 {
		if _, err := c.UserInfo(t.Context()); err != nil {
			t.Fatalf("UserInfo: %v", err)
		}
	}
	if got := f.count(&f.csrfFetches); got != 1 {
		t.Errorf("csrf fetches = %d, want 1", got)
	}
	s, _ := store.Load()
	if s.CSRFToken == "" || s.SessionCookie == "" {
		t.Errorf("saved session has no CSRF token or session cookie: %+v", s)
	}
	// A later run reuses the saved CSRF token too.
	if _, err := New(f.URL(), Options{TokenStore: store}).UserInfo(t.Context()); err != nil {
		t.Fatalf("UserInfo from the saved session: %v", err)
	}
	if got := f.count(&f.csrfFetches); got != 1 {
		t.Errorf("csrf fetches after a new client = %d, want 1", got)
	}
}

func TestARefusedCSRFTokenIsRefetchedOnceAndTheCallRetried(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	if _, err := c.UserInfo(t.Context()); err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	f.revokeCSRF()
	if _, err := c.UserInfo(t.Context()); err != nil {
		t.Fatalf("UserInfo after the server refused the CSRF token: %v", err)
	}
	if got := f.count(&f.csrfFetches); got != 2 {
		t.Errorf("csrf fetches = %d, want 2", got)
	}
	if got := f.callCount("user/info"); got != 3 {
		t.Errorf("user/info requests = %d, want 3", got)
	}
}

func TestAPersistentCSRFRefusalIsReturnedAfterOneRetry(t *testing.T) {
	var posts, fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/token"):
			writeJSON(w, http.StatusOK, map[string]any{"access_token": "a", "expires_in": 300})
		case r.URL.Path == "/mapi/v1/csrf":
			fetches.Add(1)
			http.SetCookie(w, &http.Cookie{Name: "XSRF-TOKEN", Value: "x"})
		default:
			posts.Add(1)
			writeJSON(w, http.StatusForbidden, apiErrBody("CSRF_TOKEN_INVALID", "missing or invalid XSRF token", ""))
		}
	}))
	defer srv.Close()
	c := New(srv.URL, Options{})
	if err := c.Login(t.Context(), "u", "p"); err != nil {
		t.Fatalf("Login: %v", err)
	}
	_, err := c.UserInfo(t.Context())
	if !IsCode(err, "CSRF_TOKEN_INVALID") {
		t.Fatalf("UserInfo: %v, want CSRF_TOKEN_INVALID", err)
	}
	if posts.Load() != 2 || fetches.Load() != 2 {
		t.Errorf("posts = %d, csrf fetches = %d; want 2 and 2", posts.Load(), fetches.Load())
	}
}

func TestServerErrorsDecodeIntoAPIError(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	_, err := c.CreateJob(t.Context(), CreateJobRequest{JobType: "METRIC_RECONCILIATION", BucketName: "photos"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("CreateJob: %v, want *APIError", err)
	}
	want := "job 12 of type METRIC_RECONCILIATION is already active on bucket photos"
	if apiErr.Status != http.StatusConflict || apiErr.Code != "CONFLICT" || apiErr.Message != want || apiErr.Details != `{"jobId":12}` {
		t.Errorf("APIError = %+v", apiErr)
	}
	if err.Error() != want {
		t.Errorf("Error() = %q, want the server's message", err.Error())
	}
}

func TestDecodeErrorReadsEveryErrorShape(t *testing.T) {
	tests := []struct {
		name string
		body string
		want APIError
	}{
		{"a MAPI error body", `{"code":"NOT_FOUND","message":"no such bucket","details":"photos"}`,
			APIError{Status: 404, Code: "NOT_FOUND", Message: "no such bucket", Details: "photos"}},
		{"an OAuth error body", `{"error":"invalid_client"}`,
			APIError{Status: 404, Code: "invalid_client"}},
		{"a plain text body", "upstream unavailable\n",
			APIError{Status: 404, Message: "HTTP 404: upstream unavailable"}},
		{"an HTML page", "<html><body>Not Found</body></html>",
			APIError{Status: 404, Message: "HTTP 404 Not Found"}},
		{"an empty body", "",
			APIError{Status: 404, Message: "HTTP 404 Not Found"}},
		{"an S3 error body", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
			APIError{Status: 404, S3Code: "AccessDenied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeError(404, http.Header{}, []byte(tt.body)); *got != tt.want {
				t.Errorf("decodeError = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestAnS3AnswerIsAnErrS3Endpoint(t *testing.T) {
	quarryS3 := http.Header{"Server": {"Quarry"}, "X-Amz-Request-Id": {"8DDA6AAA189C9ABC"}}
	tests := []struct {
		name       string
		header     http.Header
		body       string
		wantS3     bool
		wantQuarry bool
	}{
		{"Quarry's S3 listener", quarryS3, `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`, true, true},
		{"another S3 service", http.Header{"Server": {"AmazonS3"}}, `<Error><Code>SignatureDoesNotMatch</Code></Error>`, true, false},
		{"an S3 answer without a body", quarryS3, "", true, true},
		{"the management API", http.Header{}, `{"code":"FORBIDDEN","message":"admins only","details":""}`, false, false},
		{"an HTML page", http.Header{"Server": {"nginx"}}, "<html><body>Forbidden</body></html>", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError(403, tt.header, []byte(tt.body))
			if got := errors.Is(e, ErrS3Endpoint); got != tt.wantS3 {
				t.Errorf("errors.Is(ErrS3Endpoint) = %v, want %v (%+v)", got, tt.wantS3, e)
			}
			if got := e.FromQuarryS3(); got != tt.wantQuarry {
				t.Errorf("FromQuarryS3() = %v, want %v", got, tt.wantQuarry)
			}
			if tt.wantS3 && strings.Contains(e.Error(), "HTTP 403 Forbidden") && !strings.Contains(e.Error(), "S3") {
				t.Errorf("Error() = %q, which does not say the endpoint is S3", e.Error())
			}
		})
	}
}

func TestJobStatusMarshalsAsTheServerSentIt(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	st, err := c.JobStatus(t.Context(), 17)
	if err != nil {
		t.Fatalf("JobStatus: %v", err)
	}
	if st.JobID.ID != 17 || st.JobState != StateExecuting || st.JobStats.Processed != 1200 || st.JobStats.Total != 5000 || st.JobParams["dryRun"] != "true" {
		t.Errorf("JobStatus = %+v", st)
	}
	if started, ok := st.Started(); !ok || !started.Equal(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("Started() = %v, %v", started, ok)
	}
	if _, ok := st.Completed(); ok {
		t.Error("Completed() is set on a running job")
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if _, ok := back["result"]; !ok {
		t.Errorf("marshalled status lost the additive field result: %s", b)
	}
	if got := f.body("jobs/status"); got != `{"jobId":{"id":17}}` {
		t.Errorf("jobs/status request body = %s", got)
	}
}

func TestRequestBodiesFollowTheWireContract(t *testing.T) {
	f := newFakeMAPI(t)
	c, _ := loggedIn(t, f)
	if _, err := c.ListJobs(t.Context(), ListJobsRequest{BucketName: "photos", JobState: StateComplete, PageToken: "p2"}); err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	if err := c.DeleteUser(t.Context(), 42); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	tests := []struct{ path, want string }{
		{"jobs/list", `{"bucketName":"photos","jobState":"COMPLETE","pageToken":"p2"}`},
		{"user/delete", `{"id":{"id":42}}`},
	}
	for _, tt := range tests {
		if got := f.body(tt.path); got != tt.want {
			t.Errorf("%s body = %s, want %s", tt.path, got, tt.want)
		}
	}
}

func TestADeletedUsersSessionSaysTheUserIsGoneNotExpired(t *testing.T) {
	tests := []struct {
		name        string
		later       time.Duration // how long after the login the call is made
		wantRefresh int
	}{
		{"the server refuses the access token", 0, 0},
		{"the server refuses the refresh of an expired access token", 10 * time.Minute, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMAPI(t)
			c, _ := loggedIn(t, f)
			c.now = func() time.Time { return time.Now().Add(tt.later) }
			f.deleteUser()
			_, err := c.UserInfo(t.Context())
			if !errors.Is(err, ErrUserGone) || errors.Is(err, ErrSessionExpired) {
				t.Fatalf("UserInfo of a deleted user: %v, want ErrUserGone", err)
			}
			if got := f.count(&f.refreshGrants); got != tt.wantRefresh {
				t.Errorf("%d refresh grants, want %d: a refresh cannot bring a deleted user back", got, tt.wantRefresh)
			}
		})
	}
}
