package mapiclient

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeTargetServer answers the replication_target endpoints for bearers
// the fake MAPI handed out, and passes every other request to it.
type fakeTargetServer struct {
	f   *fakeMAPI
	srv *httptest.Server

	mu     sync.Mutex
	bodies map[string]string // endpoint → last request body
	// answers are the status and body of each endpoint.
	answers map[string]fakeAnswer
}

type fakeAnswer struct {
	status int
	body   any
}

func newFakeTargetServer(t *testing.T) *fakeTargetServer {
	fs := &fakeTargetServer{f: newFakeMAPI(t), bodies: map[string]string{}, answers: map[string]fakeAnswer{}}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *fakeTargetServer) answer(endpoint string, status int, body any) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.answers[endpoint] = fakeAnswer{status, body}
}

func (fs *fakeTargetServer) body(endpoint string) string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.bodies[endpoint]
}

func (fs *fakeTargetServer) serve(w http.ResponseWriter, r *http.Request) {
	endpoint, ok := strings.CutPrefix(r.URL.Path, "/mapi/v1/")
	if !ok || !strings.HasPrefix(endpoint, "replication_target/") {
		fs.f.srv.Config.Handler.ServeHTTP(w, r)
		return
	}
	fs.f.mu.Lock()
	authorized := fs.f.validAccess[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	fs.f.mu.Unlock()
	if !authorized {
		writeJSON(w, http.StatusUnauthorized, apiErrBody("UNAUTHORIZED", "Access was denied due to invalid credentials.", ""))
		return
	}
	body, _ := io.ReadAll(r.Body)
	fs.mu.Lock()
	fs.bodies[endpoint] = string(body)
	a, ok := fs.answers[endpoint]
	fs.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, apiErrBody("NOT_FOUND", "no such endpoint", ""))
		return
	}
	writeJSON(w, a.status, a.body)
}

// client returns a client of fs logged in as root.
func (fs *fakeTargetServer) client(t *testing.T) *Client {
	t.Helper()
	store := &FileStore{Path: filepath.Join(t.TempDir(), "session.json")}
	c := New(fs.srv.URL, Options{TokenStore: store})
	if err := c.Login(t.Context(), "root", "secret"); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return c
}

var backupTarget = map[string]any{"arn": "arn:quarry:replication:us-east-1:1:backup", "name": "backup",
	"endpoint": "https://s3.example.com", "region": "us-east-1", "bucket": "backup", "createdBy": "root"}

func TestCreateReplicationTargetSendsTheFieldsAndReturnsTheTarget(t *testing.T) {
	fs := newFakeTargetServer(t)
	c := fs.client(t)
	fs.answer("replication_target/create", http.StatusOK, map[string]any{"target": backupTarget})

	got, err := c.CreateReplicationTarget(t.Context(), CreateReplicationTargetRequest{
		Name: "backup", Endpoint: "https://s3.example.com", AccessKey: "AK", SecretKey: "SK", Bucket: "backup"})
	if err != nil {
		t.Fatalf("CreateReplicationTarget: %v", err)
	}
	if got.ARN != backupTarget["arn"] || got.Name != "backup" || got.Bucket != "backup" || got.Region != "us-east-1" {
		t.Errorf("target = %+v", got)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(fs.body("replication_target/create")), &sent); err != nil {
		t.Fatalf("request body: %v", err)
	}
	want := map[string]any{"name": "backup", "endpoint": "https://s3.example.com", "accessKey": "AK", "secretKey": "SK", "bucket": "backup"}
	if len(sent) != len(want) {
		t.Errorf("sent %v, want %v (optional fields left out)", sent, want)
	}
	for k, v := range want {
		if sent[k] != v {
			t.Errorf("sent %s = %v, want %v", k, sent[k], v)
		}
	}
	out, _ := json.Marshal(got)
	if !strings.Contains(string(out), `"createdBy":"root"`) {
		t.Errorf("the target marshals without the server's additive field: %s", out)
	}
}

func TestListReplicationTargetsReturnsEveryTargetAndNeverNil(t *testing.T) {
	tests := []struct {
		name    string
		answer  any
		wantLen int
	}{
		{"one target", map[string]any{"targets": []any{backupTarget}}, 1},
		{"none", map[string]any{"targets": []any{}}, 0},
		{"a server that leaves the list out", map[string]any{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeTargetServer(t)
			fs.answer("replication_target/list", http.StatusOK, tt.answer)
			got, err := fs.client(t).ListReplicationTargets(t.Context())
			if err != nil {
				t.Fatalf("ListReplicationTargets: %v", err)
			}
			if got == nil || len(got) != tt.wantLen {
				t.Fatalf("targets = %#v, want %d of them (not nil)", got, tt.wantLen)
			}
			if body := fs.body("replication_target/list"); body != "{}" {
				t.Errorf("list sent %q, want {}", body)
			}
		})
	}
}

func TestDeleteAndTestOfATargetSendItsARNAndReturnTheServersReason(t *testing.T) {
	const arn = "arn:quarry:replication:us-east-1:1:backup"
	tests := []struct {
		name     string
		endpoint string
		status   int
		answer   any
		call     func(c *Client) error
		wantCode string // "" for success
		wantMsg  string
	}{
		{"a deleted target", "replication_target/delete", 200, map[string]any{},
			func(c *Client) error { return c.DeleteReplicationTarget(t.Context(), arn) }, "", ""},
		{"a target in use", "replication_target/delete", 409,
			apiErrBody("CONFLICT", "replication target "+arn+" is in use: by bucket photos", ""),
			func(c *Client) error { return c.DeleteReplicationTarget(t.Context(), arn) }, "CONFLICT", "by bucket photos"},
		{"a target that passes its test", "replication_target/test", 200, map[string]any{"ok": true},
			func(c *Client) error { return c.TestReplicationTarget(t.Context(), arn) }, "", ""},
		{"a target that fails its test", "replication_target/test", 400,
			apiErrBody("INVALID_REQUEST", "replication target test failed: the endpoint refused the credentials", ""),
			func(c *Client) error { return c.TestReplicationTarget(t.Context(), arn) }, "INVALID_REQUEST",
			"replication target test failed: the endpoint refused the credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeTargetServer(t)
			c := fs.client(t)
			fs.answer(tt.endpoint, tt.status, tt.answer)
			err := tt.call(c)
			if body := fs.body(tt.endpoint); body != `{"arn":"`+arn+`"}` {
				t.Errorf("sent %s, want the arn", body)
			}
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tt.wantCode || apiErr.Status != tt.status {
				t.Fatalf("got %#v, want an *APIError %d %s", err, tt.status, tt.wantCode)
			}
			if err.Error() != tt.wantMsg && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestATargetTestAnsweredWithoutOKIsAnError(t *testing.T) {
	fs := newFakeTargetServer(t)
	fs.answer("replication_target/test", http.StatusOK, map[string]any{"ok": false})
	if err := fs.client(t).TestReplicationTarget(t.Context(), "arn:x"); err == nil {
		t.Fatal("a 200 without ok passed as a successful test")
	}
}

func TestUpdateReplicationTargetAccessSendsTheNewGrantsAndReadsThemBack(t *testing.T) {
	const arn = "arn:quarry:replication:us-east-1:1:backup"
	managed := map[string]any{"arn": arn, "name": "backup", "endpoint": "https://s3.example.com", "region": "us-east-1", "bucket": "backup",
		"owner": map[string]any{"id": map[string]any{"id": 1}, "username": "root"}, "allUsers": false,
		"users": []any{map[string]any{"id": map[string]any{"id": 3}, "username": "bob"}}}
	tests := []struct {
		name   string
		access TargetAccess
		want   string
	}{
		{"users", TargetAccess{Users: []string{"bob"}}, `{"arn":"` + arn + `","users":["bob"],"allUsers":false}`},
		{"no grant at all sends an empty list", TargetAccess{}, `{"arn":"` + arn + `","users":[],"allUsers":false}`},
		{"every user", TargetAccess{AllUsers: true}, `{"arn":"` + arn + `","users":[],"allUsers":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeTargetServer(t)
			fs.answer("replication_target/update_access", http.StatusOK, map[string]any{"target": managed})
			got, err := fs.client(t).UpdateReplicationTargetAccess(t.Context(), arn, tt.access)
			if err != nil {
				t.Fatalf("UpdateReplicationTargetAccess: %v", err)
			}
			if body := fs.body("replication_target/update_access"); body != tt.want {
				t.Errorf("sent %s, want %s", body, tt.want)
			}
			if !got.Managed() || got.Owner.Username != "root" || got.AllUsers == nil || *got.AllUsers ||
				len(got.Users) != 1 || got.Users[0].Username != "bob" || got.Users[0].ID.ID != 3 {
				t.Errorf("target = %+v, want root's, granted to bob", got)
			}
		})
	}
}

func TestATargetWithoutItsGrantsIsNotManaged(t *testing.T) {
	fs := newFakeTargetServer(t)
	fs.answer("replication_target/list", http.StatusOK, map[string]any{"targets": []any{backupTarget}})
	got, err := fs.client(t).ListReplicationTargets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Managed() || got[0].AllUsers != nil || got[0].Users != nil {
		t.Errorf("target = %+v, want no grants known", got[0])
	}
}

func TestCreateReplicationTargetSendsItsGrants(t *testing.T) {
	fs := newFakeTargetServer(t)
	fs.answer("replication_target/create", http.StatusOK, map[string]any{"target": backupTarget})
	_, err := fs.client(t).CreateReplicationTarget(t.Context(), CreateReplicationTargetRequest{
		Name: "backup", Endpoint: "https://s3.example.com", AccessKey: "AK", SecretKey: "SK", Bucket: "backup",
		Users: []string{"alice", "bob"}, AllUsers: true})
	if err != nil {
		t.Fatal(err)
	}
	body := fs.body("replication_target/create")
	if !strings.Contains(body, `"users":["alice","bob"]`) || !strings.Contains(body, `"allUsers":true`) {
		t.Errorf("sent %s, want the users and allUsers", body)
	}
}
