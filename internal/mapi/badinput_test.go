package mapi

import (
	"net/http"
	"strings"
	"testing"
)

// Every JSON endpoint refuses these bodies the same way.
var commonBadBodies = []struct {
	name       string
	body       string
	wantStatus int
	wantCode   string
	wantMsg    string
}{
	{"malformed JSON", `{"jobType": `, 400, CodeInvalidRequest, "malformed JSON"},
	{"a body cut short", `{"a":1`, 400, CodeInvalidRequest, "malformed JSON"},
	{"a JSON array", `[1, 2]`, 400, CodeInvalidRequest, "must be a JSON object"},
	{"a JSON string", `"hello"`, 400, CodeInvalidRequest, "must be a JSON object"},
	{"trailing garbage", `{} {}`, 400, CodeInvalidRequest, "single JSON object"},
	{"text that is not JSON", `jobType=BATCH_REPLICATE`, 400, CodeInvalidRequest, "malformed JSON"},
	{"a body over 1 MiB", `{"x":"` + strings.Repeat("a", MaxBodySize) + `"}`, 413, CodePayloadTooLarge, "larger than"},
}

func TestEveryEndpointRefusesBadBodies(t *testing.T) {
	h := newHarness(t)
	bearer, x := h.token("admin"), h.csrf()
	for _, route := range h.handler.Routes() {
		if route.Method != http.MethodPost || route.Path == TokenPath || route.Path == LogoutPath {
			continue
		}
		for _, tt := range commonBadBodies {
			if (rawBodyRoute(route.Name) || notImplementedRoute(route.Name)) && tt.wantStatus != 413 {
				continue // they read no JSON; only the size limit holds
			}
			t.Run(route.Name+"/"+tt.name, func(t *testing.T) {
				r := h.send(h.request(route.Path, bearer, x, x, strings.NewReader(tt.body)))
				wantError(t, r, tt.wantStatus, tt.wantCode, tt.wantMsg)
			})
		}
	}
}

func TestEachEndpointNamesWhatIsWrongWithItsFields(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		endpoint   string
		body       string
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"jobs/create", `{}`, 400, CodeInvalidRequest, "jobType is required"},
		{"jobs/create", ``, 400, CodeInvalidRequest, "jobType is required"},
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION"}`, 400, CodeInvalidRequest, "bucketName is required"},
		{"jobs/create", `{"jobType":"DEFRAGMENT","bucketName":"alice"}`, 400, CodeInvalidRequest, `jobType "DEFRAGMENT" is not valid`},
		{"jobs/create", `{"jobType":"metric_reconciliation","bucketName":"alice"}`, 400, CodeInvalidRequest, "is not valid"},
		{"jobs/create", `{"jobType":7,"bucketName":"alice"}`, 400, CodeInvalidRequest, "jobType must be a string"},
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":["alice"]}`, 400, CodeInvalidRequest, "bucketName must be a string"},
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"alice","jobParams":{"dryRun":true}}`, 400, CodeInvalidRequest, "jobParams.dryRun must be a string"},
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"alice","jobParams":{"prefix":null}}`, 400, CodeInvalidRequest, "jobParams.prefix must be a string"},
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"alice","jobParams":["dryRun"]}`, 400, CodeInvalidRequest, "jobParams must be an object"},
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"alice","jobParams":{"dryRn":"true"}}`, 400, CodeInvalidRequest, "dryRn"},
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"alice","jobParams":{"dryRun":"yes"}}`, 400, CodeInvalidRequest, "dryRun"},
		{"jobs/create", `{"jobType":"LIFECYCLE_UPDATE","bucketName":"alice"}`, 400, CodeInvalidRequest, "jobType LIFECYCLE_UPDATE is not supported yet"},
		{"jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"no-such-bucket"}`, 404, CodeNotFound, "no-such-bucket"},
		{"jobs/status", `{}`, 400, CodeInvalidRequest, "jobId.id is required"},
		{"jobs/status", `{"jobId":{}}`, 400, CodeInvalidRequest, "jobId.id is required"},
		{"jobs/status", `{"jobId":17}`, 400, CodeInvalidRequest, "jobId must be an object"},
		{"jobs/status", `{"jobId":{"id":"17"}}`, 400, CodeInvalidRequest, "jobId.id must be a 32-bit integer"},
		{"jobs/status", `{"jobId":{"id":99999999999}}`, 400, CodeInvalidRequest, "jobId.id must be a 32-bit integer"},
		{"jobs/status", `{"jobId":{"id":1.5}}`, 400, CodeInvalidRequest, "jobId.id must be a 32-bit integer"},
		{"jobs/status", `{"jobId":{"id":4242}}`, 404, CodeNotFound, "job 4242 does not exist"},
		{"jobs/cancel", `{}`, 400, CodeInvalidRequest, "jobId.id is required"},
		{"jobs/cancel", `{"jobId":{"id":true}}`, 400, CodeInvalidRequest, "jobId.id must be a 32-bit integer"},
		{"jobs/cancel", `{"jobId":{"id":4242}}`, 404, CodeNotFound, "job 4242 does not exist"},
		{"jobs/failures", `{}`, 400, CodeInvalidRequest, "jobId.id is required"},
		{"jobs/failures", `{"jobId":{"id":4242}}`, 404, CodeNotFound, "job 4242 does not exist"},
		{"jobs/failures", `{"jobId":{"id":1},"pageSize":"10"}`, 400, CodeInvalidRequest, "pageSize must be an integer"},
		{"jobs/list", `{"jobType":"DEFRAGMENT"}`, 400, CodeInvalidRequest, "jobType"},
		{"jobs/list", `{"jobState":"RUNNING"}`, 400, CodeInvalidRequest, "jobState"},
		{"jobs/list", `{"pageSize":-1}`, 400, CodeInvalidRequest, "pageSize"},
		{"jobs/list", `{"pageToken":"%%%"}`, 400, CodeInvalidRequest, "pageToken"},
		{"jobs/list", `{"userId":"alice"}`, 400, CodeInvalidRequest, "userId must be an object"},
		{"jobs/list", `{"bucketName":5}`, 400, CodeInvalidRequest, "bucketName must be a string"},
		{"user/list_buckets", `{"pageSize":"ten"}`, 400, CodeInvalidRequest, "pageSize must be an integer"},
		{"user/list_buckets", `{"pageSize":-5}`, 400, CodeInvalidRequest, "pageSize"},
		{"user/list_buckets", `{"pageToken":"!!"}`, 400, CodeInvalidRequest, "pageToken"},
		{"user/revoke_credentials", `{"accessKey":12}`, 400, CodeInvalidRequest, "accessKey must be a string"},
		{"user/revoke_credentials", `{"accessKey":"AKNOTMINE"}`, 404, CodeNotFound, "AKNOTMINE"},
		{"user/create", `{}`, 400, CodeInvalidRequest, "username is required"},
		{"user/create", `{"username":"dave"}`, 400, CodeInvalidRequest, "password is required"},
		{"user/create", `{"username":"dave","password":"long enough","role":"ROOT"}`, 400, CodeInvalidRequest, `role "ROOT"`},
		{"user/create", `{"username":"dave smith","password":"long enough"}`, 400, CodeInvalidRequest, "invalid username"},
		{"user/create", `{"username":"dave","password":"short"}`, 400, CodeInvalidRequest, "invalid password"},
		{"user/create", `{"username":"alice","password":"long enough"}`, 409, CodeConflict, "alice already exists"},
		{"user/create", `{"username":["dave"],"password":"long enough"}`, 400, CodeInvalidRequest, "username must be a string"},
		{"user/list", `{"pageSize":true}`, 400, CodeInvalidRequest, "pageSize must be an integer"},
		{"user/list", `{"pageToken":"bm90LWEtbnVtYmVy"}`, 400, CodeInvalidRequest, "pageToken"},
		{"user/delete", `{}`, 400, CodeInvalidRequest, "id.id is required"},
		{"user/delete", `{"id":"3"}`, 400, CodeInvalidRequest, "id must be an object"},
		{"user/delete", `{"id":{"id":999}}`, 404, CodeNotFound, "user 999 does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+" "+tt.body, func(t *testing.T) {
			wantError(t, h.call("admin", tt.endpoint, tt.body), tt.wantStatus, tt.wantCode, tt.wantMsg)
		})
	}
}

// Endpoints that delete or revoke refuse unknown fields instead (see
// TestDestructiveCallsRefuseUnknownFieldsAndChangeNothing).
func TestEndpointsWithOptionalFieldsTakeAnEmptyBodyAndIgnoreUnknownFields(t *testing.T) {
	h := newHarness(t)
	for _, route := range h.handler.Routes() {
		if route.Method != http.MethodPost || route.Path == TokenPath || route.Path == LogoutPath {
			continue
		}
		name := strings.TrimPrefix(route.Path, basePath)
		switch name {
		case "jobs/create", "jobs/status", "jobs/cancel", "jobs/failures", "user/create", "user/delete",
			"replication_target/create", "replication_target/delete", "replication_target/test",
			"replication_target/update_access", "notification_target/create", "notification_target/delete",
			"notification_target/test", "notification_target/update_access",
			"serial_number/set", "user/lookup", "certificates/get", "certificates/delete", "s3_encryption/set",
			"storage_component/create", "storage_component/update", "storage_component/test", "storage_component/activate",
			"storage_component/update_state", "storage_component/decommission",
			"storage_class/create", "storage_class/info", "storage_class/update", "storage_class/default/update",
			"storage_fault_domain/info", "storage_fault_domain/create", "storage_fault_domain/update",
			"s3/presign", "user/set_role":
			continue // required fields
		}
		if rawBodyRoute(name) || notImplementedRoute(name) {
			continue
		}
		bodies := []string{"", "  ", "{}", `{"someFutureField": [1, {"x": null}]}`, "null"}
		if name == "user/revoke_credentials" {
			bodies = []string{"", "  ", "{}", "null"}
		}
		t.Run(name, func(t *testing.T) {
			for _, body := range bodies {
				r := h.call("admin", name, body)
				wantOK(t, r)
			}
		})
	}
}

func TestAdminEndpointsAreForbiddenToUsers(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct{ endpoint, body string }{
		{"user/create", `{"username":"mallory","password":"long enough","role":"ADMIN"}`},
		{"user/list", `{}`},
		{"user/delete", `{"id":{"id":` + itoa(h.ids["bob"]) + `}}`},
	} {
		t.Run(tt.endpoint, func(t *testing.T) {
			wantError(t, h.call("alice", tt.endpoint, tt.body), 403, CodeForbidden, "administrator")
		})
	}
	if _, err := h.users.GetUserByName(h.ctx, "mallory"); err == nil {
		t.Fatal("a USER created an account")
	}
	if _, err := h.users.GetUser(h.ctx, h.ids["bob"]); err != nil {
		t.Fatalf("a USER deleted bob: %v", err)
	}
}

func TestUnknownPathsAndWrongMethodsAnswerJSON(t *testing.T) {
	h := newHarness(t)
	r := h.call("alice", "jobs/explode", `{}`)
	wantError(t, r, 501, CodeNotImplemented, "/mapi/v1/jobs/explode is not implemented by Quarry")
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/elsewhere", nil)
	wantError(t, h.send(req), 404, CodeNotFound)
	req, _ = http.NewRequest(http.MethodGet, h.srv.URL+"/mapi/v1/jobs/create", nil)
	r = h.send(req)
	wantError(t, r, 405, CodeMethodNotAllowed)
	if r.header.Get("Allow") != http.MethodPost {
		t.Fatalf("Allow %q, want POST", r.header.Get("Allow"))
	}
	req, _ = http.NewRequest(http.MethodPost, h.srv.URL+"/mapi/v1/csrf", nil)
	wantError(t, h.send(req), 405, CodeMethodNotAllowed)
	req, _ = http.NewRequest(http.MethodGet, h.srv.URL+TokenPath, nil)
	wantError(t, h.send(req), 405, CodeMethodNotAllowed)
}

// rawBodyRoute says whether a route takes a body that is not JSON (a file
// sent as it is, as the vendor's clients send it).
func rawBodyRoute(name string) bool {
	return name == "certificates/add" || name == "license/add"
}
