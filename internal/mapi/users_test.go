package mapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
)

func TestUserInfoDescribesTheCaller(t *testing.T) {
	h := newHarness(t)
	r := h.call("alice", "user/info", "")
	wantOK(t, r)
	if r.num("id", "id") != float64(h.ids["alice"]) || r.str("username") != "alice" || r.str("role") != "USER" {
		t.Fatalf("user/info %s", r.raw)
	}
	if r := h.call("admin", "user/info", "{}"); r.str("role") != "ADMIN" {
		t.Fatalf("admin's user/info %s", r.raw)
	}
}

func TestAdminsManageUsers(t *testing.T) {
	h := newHarness(t)
	r := h.call("admin", "user/create", `{"username":"dave","password":"long enough","role":"ADMIN"}`)
	wantOK(t, r)
	if r.str("user", "username") != "dave" || r.str("user", "role") != "ADMIN" || r.num("user", "id", "id") < 1 {
		t.Fatalf("user/create %s", r.raw)
	}
	if _, err := h.users.Authenticate(h.ctx, "dave", "long enough"); err != nil {
		t.Fatalf("dave cannot log in: %v", err)
	}
	r = h.call("admin", "user/create", `{"username":"erin","password":"long enough"}`)
	if r.str("user", "role") != "USER" {
		t.Fatalf("the default role is not USER: %s", r.raw)
	}

	var names []string
	token := ""
	for range 10 {
		body := `{"pageSize":2}`
		if token != "" {
			body = `{"pageSize":2,"pageToken":"` + token + `"}`
		}
		r := h.call("admin", "user/list", body)
		wantOK(t, r)
		for _, u := range r.get("users").([]any) {
			names = append(names, u.(map[string]any)["username"].(string))
		}
		if token = r.str("pageToken"); token == "" {
			break
		}
	}
	if want := []string{"admin", "alice", "bob", "dave", "erin"}; len(names) != len(want) || names[0] != want[0] || names[4] != want[4] {
		t.Fatalf("user/list gave %v, want %v", names, want)
	}

	erin := itoa(int64(r.num("user", "id", "id")))
	wantOK(t, h.call("admin", "user/delete", `{"id":{"id":`+erin+`}}`))
	if _, err := h.users.GetUserByName(h.ctx, "erin"); !errors.Is(err, auth.ErrNoSuchUser) {
		t.Fatalf("erin still exists: %v", err)
	}
	wantError(t, h.call("admin", "user/delete", `{"id":{"id":`+erin+`}}`), 404, CodeNotFound)
}

func TestUsersThatMustStayAreNotDeleted(t *testing.T) {
	h := newHarness(t)
	wantError(t, h.call("admin", "user/delete", `{"id":{"id":`+itoa(h.ids["admin"])+`}}`), 409, CodeConflict, "yourself")
	h.addBucket("alice", "alice-2")
	r := h.call("admin", "user/delete", `{"id":{"id":`+itoa(h.ids["alice"])+`}}`)
	wantError(t, r, 409, CodeConflict, "alice still owns 2 bucket")
	if _, err := h.users.GetUser(h.ctx, h.ids["alice"]); err != nil {
		t.Fatalf("alice was deleted: %v", err)
	}
}

func TestListBucketsShowsTheCallersOwnBucketsWithUsage(t *testing.T) {
	h := newHarness(t)
	h.addBucket("alice", "alice-2")
	h.addBucket("alice", "alice-3")
	h.addBucket("admin", "admin-bucket")
	h.putObject("alice", "alice-2", "k1", "12345")
	h.putObject("alice", "alice-2", "k2", "123")

	var got []map[string]any
	token := ""
	for range 10 {
		body := `{"pageSize":2}`
		if token != "" {
			body = `{"pageSize":2,"pageToken":"` + token + `"}`
		}
		r := h.call("alice", "user/list_buckets", body)
		wantOK(t, r)
		for _, b := range r.get("buckets").([]any) {
			got = append(got, b.(map[string]any))
		}
		if token = r.str("pageToken"); token == "" {
			break
		}
	}
	if len(got) != 3 || got[0]["name"] != "alice" || got[1]["name"] != "alice-2" || got[2]["name"] != "alice-3" {
		t.Fatalf("alice's buckets: %v", got)
	}
	if got[1]["objectCount"] != float64(2) || got[1]["bytes"] != float64(8) || got[0]["objectCount"] != float64(0) {
		t.Fatalf("usage of alice-2: %v", got[1])
	}
	if _, ok := got[0]["creationTime"].(string); !ok {
		t.Fatalf("no creationTime: %v", got[0])
	}

	r := h.call("admin", "user/list_buckets", `{}`)
	wantOK(t, r)
	if bs := r.get("buckets").([]any); len(bs) != 1 || bs[0].(map[string]any)["name"] != "admin-bucket" {
		t.Fatalf("the admin's own buckets: %s", r.raw)
	}
}

func TestCredentialsAreIssuedAndRevokedForTheCallerOnly(t *testing.T) {
	h := newHarness(t)
	gen := h.call("alice", "s3/user/generate_credentials", "")
	wantOK(t, gen)
	ak, sk := gen.str("accessKey"), gen.str("secretKey")
	secret, p, err := h.users.LookupAccessKey(h.ctx, ak)
	if err != nil || secret != sk || p.UserID != h.ids["alice"] {
		t.Fatalf("issued key %s: secret match %v, user %d, %v", ak, secret == sk, p.UserID, err)
	}
	second := h.call("alice", "s3/user/generate_credentials", "{}").str("accessKey")
	bobs := h.call("bob", "s3/user/generate_credentials", "").str("accessKey")

	wantError(t, h.call("bob", "user/revoke_credentials", `{"accessKey":"`+ak+`"}`), 404, CodeNotFound)
	wantError(t, h.call("admin", "user/revoke_credentials", `{"accessKey":"`+ak+`"}`), 404, CodeNotFound)
	if _, _, err := h.users.LookupAccessKey(h.ctx, ak); err != nil {
		t.Fatalf("another user revoked alice's key: %v", err)
	}

	wantOK(t, h.call("alice", "user/revoke_credentials", `{"accessKey":"`+ak+`"}`))
	if _, _, err := h.users.LookupAccessKey(h.ctx, ak); !errors.Is(err, auth.ErrNoSuchAccessKey) {
		t.Fatalf("revoked key still works: %v", err)
	}
	if _, _, err := h.users.LookupAccessKey(h.ctx, second); err != nil {
		t.Fatalf("revoking one key revoked another: %v", err)
	}
	wantOK(t, h.call("alice", "user/revoke_credentials", ``))
	if keys, _ := h.users.ListAccessKeys(h.ctx, h.ids["alice"]); len(keys) != 0 {
		t.Fatalf("alice keeps %d keys after revoking all", len(keys))
	}
	if _, _, err := h.users.LookupAccessKey(h.ctx, bobs); err != nil {
		t.Fatalf("alice's revoke-all revoked bob's key: %v", err)
	}
}

func TestIdentityEndpointsAnswerTheConfiguredValues(t *testing.T) {
	h := newHarness(t)
	serial, err := LoadSerial(h.ctx, h.store)
	if err != nil {
		t.Fatal(err)
	}
	if r := h.call("bob", "serial_number/get", ""); r.str("value") != serial {
		t.Fatalf("serial_number/get %s, want %s", r.raw, serial)
	}
	if r := h.call("bob", "region/identity", ""); r.str("region") != "eu-test-1" {
		t.Fatalf("region/identity %s", r.raw)
	}
}

func TestAUsernameDifferingOnlyInCaseIsAConflict(t *testing.T) {
	h := newHarness(t)
	wantOK(t, h.call("admin", "user/create", `{"username":"Dave","password":"long enough"}`))
	for _, name := range []string{"dave", "DAVE", "Dave", "ALICE", "Admin"} {
		r := h.call("admin", "user/create", `{"username":"`+name+`","password":"other password"}`)
		wantError(t, r, 409, CodeConflict, "already exists")
	}
	// Login finds the user by any case and answers it as created.
	r := h.tokenRequest(passwordForm("DAVE", "long enough"))
	wantOK(t, r)
	info := h.send(h.withCSRF(h.request("/mapi/v1/user/info", r.str("access_token"), "", "", nil)))
	wantOK(t, info)
	if info.str("username") != "Dave" {
		t.Fatalf("user/info after a login as DAVE: %s, want Dave", info.raw)
	}
}

func TestAnAdminChangesAnotherUsersRoleAndTheNewRoleTakesEffectAtOnce(t *testing.T) {
	h := newHarness(t)
	alice := itoa(h.ids["alice"])
	wantError(t, h.call("alice", "user/list", ""), 403, CodeForbidden)

	r := h.call("admin", "user/set_role", `{"id":{"id":`+alice+`},"role":"ADMIN"}`)
	wantOK(t, r)
	if r.str("user", "role") != "ADMIN" || r.str("user", "username") != "alice" {
		t.Fatalf("set_role answered %s", r.raw)
	}
	// Her token of before now acts as an admin's: the role is read per call.
	wantOK(t, h.call("alice", "user/list", ""))
	if r := h.call("alice", "user/info", ""); r.str("role") != "ADMIN" {
		t.Errorf("user/info after the change: %s", r.raw)
	}
	items := eventItems(t, h.getEvents("admin", "system/events", "eventTypeId=20203"))
	if len(items) != 1 || items[0]["subject"] != "user/alice" || items[0]["actor"] != "admin" ||
		!strings.Contains(items[0]["message"].(string), "from USER to ADMIN") {
		t.Errorf("USER_ROLE_CHANGED events: %v", items)
	}

	wantOK(t, h.call("alice", "user/set_role", `{"id":{"id":`+itoa(h.ids["bob"])+`},"role":"USER"}`))
	if items := eventItems(t, h.getEvents("admin", "system/events", "eventTypeId=20203")); len(items) != 1 {
		t.Errorf("setting the role a user has recorded an event: %v", items)
	}
	wantOK(t, h.call("admin", "user/set_role", `{"id":{"id":`+alice+`},"role":"USER"}`))
	wantError(t, h.call("alice", "user/list", ""), 403, CodeForbidden)
}

func TestSetRoleRefusesWhatWouldLockAdminsOutOrIsNotARole(t *testing.T) {
	h := newHarness(t)
	admin, alice := itoa(h.ids["admin"]), itoa(h.ids["alice"])
	for _, tt := range []struct {
		user, body string
		status     int
		code, msg  string
	}{
		{"admin", `{"id":{"id":` + admin + `},"role":"USER"}`, 409, CodeConflict, "your own role"},
		{"admin", `{"id":{"id":` + alice + `},"role":"ROOT"}`, 400, CodeInvalidRequest, `role "ROOT"`},
		{"admin", `{"id":{"id":` + alice + `}}`, 400, CodeInvalidRequest, "role is required"},
		{"admin", `{"role":"ADMIN"}`, 400, CodeInvalidRequest, "id.id is required"},
		{"admin", `{"id":{"id":` + alice + `},"role":"ADMIN","password":"x"}`, 400, CodeInvalidRequest, `unknown field "password"`},
		{"admin", `{"id":{"id":99999},"role":"ADMIN"}`, 404, CodeNotFound, "user 99999 does not exist"},
		{"alice", `{"id":{"id":` + alice + `},"role":"ADMIN"}`, 403, CodeForbidden, "administrator"},
	} {
		wantError(t, h.call(tt.user, "user/set_role", tt.body), tt.status, tt.code, tt.msg)
	}
	if p := h.principal("alice"); p.Role != "USER" {
		t.Errorf("alice is %s after refused calls", p.Role)
	}
}
