package mapi

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// hookReceiver is a webhook receiver recording the bodies and the
// Authorization headers it was sent.
type hookReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	auth []string
	body []string
}

func newHookReceiver(t *testing.T, status int) *hookReceiver {
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.body = append(r.body, string(b))
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func TestANotificationTargetIsCreatedListedTestedAndDeleted(t *testing.T) {
	h := newHarness(t)
	recv := newHookReceiver(t, http.StatusNoContent)
	const secret = "Bearer hook-secret-7f3a"
	body := fmt.Sprintf(`{"name":"events","endpoint":%q,"authHeader":%q}`, recv.srv.URL+"/quarry", secret)

	r := h.call("admin", "notification_target/create", body)
	wantOK(t, r)
	wantNoSecret(t, h, r, secret)
	arn := r.str("target", "arn")
	if !strings.HasPrefix(arn, "arn:quarry:sqs:eu-test-1:") || !strings.HasSuffix(arn, ":webhook") {
		t.Fatalf("arn %q is not arn:quarry:sqs:<region>:<id>:webhook", arn)
	}
	owner := map[string]any{"id": map[string]any{"id": h.ids["admin"]}, "username": "admin"}
	want := map[string]any{"arn": arn, "name": "events", "type": "webhook", "endpoint": recv.srv.URL + "/quarry",
		"hasAuthHeader": true, "insecureSkipVerify": false, "owner": owner, "allUsers": false, "users": []any{}}
	if got := r.get("target"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("target = %v, want exactly %v", got, want)
	}
	wantError(t, h.call("admin", "notification_target/create", body), 409, CodeConflict, "events already exists")

	r = h.call("admin", "notification_target/list", `{}`)
	wantOK(t, r)
	wantNoSecret(t, h, r, secret)
	if targets, _ := r.get("targets").([]any); len(targets) != 1 || fmt.Sprint(targets[0]) != fmt.Sprint(want) {
		t.Fatalf("targets = %s", r.raw)
	}

	wantOK(t, h.call("admin", "notification_target/test", `{"arn":"`+arn+`"}`))
	recv.mu.Lock()
	if len(recv.body) != 1 || !strings.Contains(recv.body[0], `"Event":"s3:TestEvent"`) || recv.auth[0] != secret {
		t.Errorf("the receiver got %q with Authorization %q, want one s3:TestEvent with the secret", recv.body, recv.auth)
	}
	recv.mu.Unlock()

	// In use by a bucket's configuration: not deleted.
	h.addBucket("admin", "photos")
	if err := h.store.Update(h.ctx, func(tx meta.Tx) error {
		return tx.SetBucketNotification("photos", []byte(`{"queues":[]}`), []string{arn})
	}); err != nil {
		t.Fatal(err)
	}
	wantError(t, h.call("admin", "notification_target/delete", `{"arn":"`+arn+`"}`), 409, CodeConflict, "photos")
	if err := h.store.Update(h.ctx, func(tx meta.Tx) error { return tx.SetBucketNotification("photos", nil, nil) }); err != nil {
		t.Fatal(err)
	}
	wantOK(t, h.call("admin", "notification_target/delete", `{"arn":"`+arn+`"}`))
	wantError(t, h.call("admin", "notification_target/test", `{"arn":"`+arn+`"}`), 404, CodeNotFound, arn)
}

func TestNotificationTargetCallsRefuseBadInputAndSayWhy(t *testing.T) {
	h := newHarness(t)
	dead := closedURL(t)
	wantOK(t, h.call("admin", "notification_target/create", `{"name":"dead","endpoint":"`+dead+`"}`))
	deadARN := h.call("admin", "notification_target/list", `{}`).get("targets").([]any)[0].(map[string]any)["arn"].(string)
	failing := newHookReceiver(t, http.StatusInternalServerError)
	wantOK(t, h.call("admin", "notification_target/create", `{"name":"failing","endpoint":"`+failing.srv.URL+`"}`))
	tests := []struct {
		name, user, endpoint, body string
		status                     int
		code, says                 string
	}{
		{"a missing name", "admin", "create", `{"endpoint":"http://hooks.example/x"}`, 400, CodeInvalidRequest, "name is required"},
		{"a missing endpoint", "admin", "create", `{"name":"x"}`, 400, CodeInvalidRequest, "endpoint is required"},
		{"an unknown type", "admin", "create", `{"name":"x","type":"kafka","endpoint":"http://h.example"}`, 400, CodeInvalidRequest, `type "kafka"`},
		{"a URL without http", "admin", "create", `{"name":"x","endpoint":"ftp://h.example/x"}`, 400, CodeInvalidRequest, "http:// or https://"},
		{"a URL with credentials", "admin", "create", `{"name":"x","endpoint":"https://u:p@h.example/x"}`, 400, CodeInvalidRequest, "credentials"},
		{"a URL with a query", "admin", "create", `{"name":"x","endpoint":"https://h.example/x?token=1"}`, 400, CodeInvalidRequest, "query"},
		{"a bad port", "admin", "create", `{"name":"x","endpoint":"https://h.example:70000/x"}`, 400, CodeInvalidRequest, "port"},
		{"a user granting to all", "alice", "create", `{"name":"x","endpoint":"https://h.example/x","allUsers":true}`, 403, CodeForbidden, "only an administrator"},
		{"a grant to nobody", "admin", "create", `{"name":"x","endpoint":"https://h.example/x","users":["nobody"]}`, 400, CodeInvalidRequest, `"nobody"`},
		{"a test of a dead receiver", "admin", "test", `{"arn":"` + deadARN + `"}`, 400, CodeInvalidRequest, "test failed"},
		{"a target another user may not see", "alice", "test", `{"arn":"` + deadARN + `"}`, 404, CodeNotFound, deadARN},
		{"a delete without an arn", "admin", "delete", `{}`, 400, CodeInvalidRequest, "arn is required"},
		{"a delete with an unknown field", "admin", "delete", `{"arn":"` + deadARN + `","force":true}`, 400, CodeInvalidRequest, "force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.call(tt.user, "notification_target/"+tt.endpoint, tt.body), tt.status, tt.code, tt.says)
		})
	}
	var failingARN string
	for _, x := range h.call("admin", "notification_target/list", `{}`).get("targets").([]any) {
		if m := x.(map[string]any); m["name"] == "failing" {
			failingARN = m["arn"].(string)
		}
	}
	wantError(t, h.call("admin", "notification_target/test", `{"arn":"`+failingARN+`"}`), 400, CodeInvalidRequest, "HTTP 500")
}

func TestANotificationTargetIsSeenOnlyByThoseItIsGrantedTo(t *testing.T) {
	h := newHarness(t)
	r := h.call("admin", "notification_target/create", `{"name":"shared","endpoint":"https://h.example/x","users":["alice"]}`)
	wantOK(t, r)
	arn := r.str("target", "arn")
	seen := func(user string) []any {
		r := h.call(user, "notification_target/list", `{}`)
		wantOK(t, r)
		ts, _ := r.get("targets").([]any)
		return ts
	}
	if ts := seen("alice"); len(ts) != 1 || ts[0].(map[string]any)["owner"] != nil {
		t.Errorf("alice sees %v, want the target without its owner and grants", ts)
	}
	if ts := seen("bob"); len(ts) != 0 {
		t.Errorf("bob sees %v, want nothing", ts)
	}
	wantError(t, h.call("alice", "notification_target/delete", `{"arn":"`+arn+`"}`), 403, CodeForbidden, "owner or an administrator")
	wantOK(t, h.call("admin", "notification_target/update_access", `{"arn":"`+arn+`","allUsers":true}`))
	if ts := seen("bob"); len(ts) != 1 {
		t.Errorf("bob sees %v after the grant to all users, want the target", ts)
	}
}
