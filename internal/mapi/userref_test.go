package mapi

import (
	"errors"
	"strconv"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
)

// keysOf returns the access keys a user holds now.
func (h *harness) keysOf(name string) map[string]bool {
	h.t.Helper()
	keys, err := h.users.ListAccessKeys(h.ctx, h.ids[name])
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, k := range keys {
		out[k.AccessKey] = true
	}
	return out
}

func (h *harness) newKey(name string) string {
	h.t.Helper()
	r := h.call(name, "s3/user/generate_credentials", "")
	wantOK(h.t, r)
	return r.str("accessKey")
}

func TestRevokeCredentialsWithAnIDRevokesThatUsersKeysOnly(t *testing.T) {
	h := newHarness(t)
	adminKey := h.newKey("admin")
	alice1, alice2 := h.newKey("alice"), h.newKey("alice")
	bobKey := h.newKey("bob")
	alice := itoa(h.ids["alice"])

	// Exactly what the vendor's client sends: an integer id, nothing else.
	wantOK(t, h.call("admin", "user/revoke_credentials", `{"id":`+alice+`}`))
	if keys := h.keysOf("alice"); len(keys) != 0 {
		t.Fatalf("alice keeps %v after the admin revoked her keys", keys)
	}
	if !h.keysOf("admin")[adminKey] {
		t.Fatal("revoking alice's keys revoked the admin's own key")
	}
	if !h.keysOf("bob")[bobKey] {
		t.Fatal("revoking alice's keys revoked bob's")
	}
	for _, k := range []string{alice1, alice2} {
		if _, _, err := h.users.LookupAccessKey(h.ctx, k); !errors.Is(err, auth.ErrNoSuchAccessKey) {
			t.Fatalf("alice's revoked key %s still authenticates: %v", k, err)
		}
	}
}

func TestRevokeCredentialsAcceptsTheIDsShapesAndOneKey(t *testing.T) {
	h := newHarness(t)
	bob := itoa(h.ids["bob"])
	keep, drop := h.newKey("bob"), h.newKey("bob")

	// A string id and an accessKey: only that key goes.
	wantOK(t, h.call("admin", "user/revoke_credentials", `{"id":"`+bob+`","accessKey":"`+drop+`"}`))
	if keys := h.keysOf("bob"); !keys[keep] || keys[drop] {
		t.Fatalf("bob's keys after revoking %s: %v", drop, keys)
	}
	// A key that is not bob's is not found, and stays.
	adminKey := h.newKey("admin")
	wantError(t, h.call("admin", "user/revoke_credentials", `{"id":`+bob+`,"accessKey":"`+adminKey+`"}`), 404, CodeNotFound, adminKey)
	if !h.keysOf("admin")[adminKey] {
		t.Fatal("naming the admin's key under bob's id revoked it")
	}
	// The snake_case spelling some vendor specs keep.
	wantOK(t, h.call("admin", "user/revoke_credentials", `{"id":`+bob+`,"access_key":"`+keep+`"}`))
	if keys := h.keysOf("bob"); len(keys) != 0 {
		t.Fatalf("bob keeps %v", keys)
	}
}

func TestRevokeCredentialsForYourselfNeedsNoAdmin(t *testing.T) {
	h := newHarness(t)
	h.newKey("alice")
	h.newKey("alice")
	bobKey := h.newKey("bob")
	wantOK(t, h.call("alice", "user/revoke_credentials", `{"id":`+itoa(h.ids["alice"])+`}`))
	if keys := h.keysOf("alice"); len(keys) != 0 {
		t.Fatalf("alice keeps %v after revoking her own keys by id", keys)
	}
	if !h.keysOf("bob")[bobKey] {
		t.Fatal("alice's revoke by id revoked bob's key")
	}
}

func TestRevokeCredentialsRefusesWhatItCannotDoAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	aliceKey, bobKey, adminKey := h.newKey("alice"), h.newKey("bob"), h.newKey("admin")
	bob := itoa(h.ids["bob"])
	tests := []struct {
		name, user, body string
		status           int
		code, msg        string
	}{
		{"a user naming another user's id", "alice", `{"id":` + bob + `}`, 403, CodeForbidden, "administrator"},
		{"a user naming an id that does not exist", "alice", `{"id":987654}`, 403, CodeForbidden, "administrator"},
		{"an admin naming an id that does not exist", "admin", `{"id":987654}`, 404, CodeNotFound, "user 987654"},
		{"a negative id as the vendor's system has them", "admin", `{"id":-618195248}`, 404, CodeNotFound, "-618195248"},
		{"id zero", "admin", `{"id":0}`, 404, CodeNotFound, "user 0"},
		{"an unknown field", "admin", `{"id":` + bob + `,"userId":5}`, 400, CodeInvalidRequest, `unknown field "userId"`},
		{"an unknown field alone", "admin", `{"user":"bob"}`, 400, CodeInvalidRequest, `unknown field "user"`},
		{"a null id", "admin", `{"id":null}`, 400, CodeInvalidRequest, "id must be an integer or a string holding one"},
		{"an empty string id", "admin", `{"id":""}`, 400, CodeInvalidRequest, "id must be"},
		{"a string that is not a number", "admin", `{"id":"bob"}`, 400, CodeInvalidRequest, "id must be"},
		{"a fraction", "admin", `{"id":1.5}`, 400, CodeInvalidRequest, "id must be"},
		{"an object id", "admin", `{"id":{"id":` + bob + `}}`, 400, CodeInvalidRequest, "id must be"},
		{"an id beyond 64 bits", "admin", `{"id":99999999999999999999}`, 400, CodeInvalidRequest, "id must be"},
		{"an empty accessKey", "admin", `{"accessKey":""}`, 400, CodeInvalidRequest, "accessKey must not be empty"},
		{"a null accessKey", "admin", `{"accessKey":null}`, 400, CodeInvalidRequest, "accessKey must be a string"},
		{"a null access_key under an id", "admin", `{"id":` + bob + `,"access_key":null}`, 400, CodeInvalidRequest, "access_key must be a string"},
		{"two spellings naming two keys", "admin", `{"accessKey":"A","access_key":"B"}`, 400, CodeInvalidRequest, "different keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.call(tt.user, "user/revoke_credentials", tt.body), tt.status, tt.code, tt.msg)
			for user, key := range map[string]string{"alice": aliceKey, "bob": bobKey, "admin": adminKey} {
				if !h.keysOf(user)[key] {
					t.Fatalf("a refused revoke removed %s's key", user)
				}
			}
		})
	}
}

func TestListBucketsWithAnIDListsThatUsersBuckets(t *testing.T) {
	h := newHarness(t)
	h.addBucket("bob", "bob-2")
	h.addBucket("bob", "bob-3")
	h.putObject("bob", "bob-2", "k", "1234")
	bob := itoa(h.ids["bob"])

	// Exactly what the vendor's client sends: id as a string, and count.
	r := h.call("admin", "user/list_buckets", `{"id":"`+bob+`","count":1000}`)
	wantOK(t, r)
	got := r.get("buckets").([]any)
	if len(got) != 3 {
		t.Fatalf("bob's buckets as the admin lists them: %s", r.raw)
	}
	ids := map[float64]bool{}
	for i, want := range []string{"bob", "bob-2", "bob-3"} {
		b := got[i].(map[string]any)
		id, _ := b["bucketId"].(float64)
		if b["bucketName"] != want || b["name"] != want || id <= 0 || ids[id] {
			t.Fatalf("bucket %d = %v, want %s with a bucketId of its own", i, b, want)
		}
		ids[id] = true
	}
	if got[1].(map[string]any)["objectCount"] != float64(1) || got[1].(map[string]any)["bytes"] != float64(4) {
		t.Fatalf("usage of bob-2: %v", got[1])
	}

	// The integer spelling and count as the page size.
	r = h.call("admin", "user/list_buckets", `{"id":`+bob+`,"count":2}`)
	wantOK(t, r)
	if n := len(r.get("buckets").([]any)); n != 2 || r.str("pageToken") == "" {
		t.Fatalf("count 2 gave %d buckets and pageToken %q", n, r.str("pageToken"))
	}

	// A user naming its own id gets its own buckets.
	r = h.call("bob", "user/list_buckets", `{"id":"`+bob+`"}`)
	wantOK(t, r)
	if n := len(r.get("buckets").([]any)); n != 3 {
		t.Fatalf("bob listing his own id: %s", r.raw)
	}
}

func TestListBucketsBucketIDsStayTheSame(t *testing.T) {
	h := newHarness(t)
	first := h.call("alice", "user/list_buckets", "")
	wantOK(t, first)
	h.addBucket("alice", "alice-0") // sorts first, moves the others down
	second := h.call("alice", "user/list_buckets", "")
	wantOK(t, second)
	id := func(r response, name string) float64 {
		for _, b := range r.get("buckets").([]any) {
			if m := b.(map[string]any); m["bucketName"] == name {
				return m["bucketId"].(float64)
			}
		}
		t.Fatalf("no %s in %s", name, r.raw)
		return 0
	}
	if a, b := id(first, "alice"), id(second, "alice"); a != b {
		t.Fatalf("bucketId of alice changed from %v to %v", a, b)
	}
	if id(second, "alice-0") == id(second, "alice") {
		t.Fatal("two buckets share a bucketId")
	}
}

func TestListBucketsRefusesOtherUsersAndBadCounts(t *testing.T) {
	h := newHarness(t)
	alice := strconv.FormatInt(h.ids["alice"], 10)
	tests := []struct {
		name, user, body string
		status           int
		code, msg        string
	}{
		{"a user naming another user's id", "bob", `{"id":"` + alice + `","count":1000}`, 403, CodeForbidden, "administrator"},
		{"an admin naming an unknown id", "admin", `{"id":"424242","count":1000}`, 404, CodeNotFound, "user 424242"},
		{"a count of zero", "alice", `{"count":0}`, 400, CodeInvalidRequest, "count must be between 1 and 1000"},
		{"a count over the maximum", "alice", `{"count":1001}`, 400, CodeInvalidRequest, "count must be between 1 and 1000"},
		{"a negative count", "alice", `{"count":-1}`, 400, CodeInvalidRequest, "count must be between"},
		{"a string count", "alice", `{"count":"10"}`, 400, CodeInvalidRequest, "count must be an integer"},
		{"count and pageSize that differ", "alice", `{"count":10,"pageSize":20}`, 400, CodeInvalidRequest, "count and pageSize"},
		{"an id that is not a number", "admin", `{"id":"alice"}`, 400, CodeInvalidRequest, "id must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.call(tt.user, "user/list_buckets", tt.body), tt.status, tt.code, tt.msg)
		})
	}
}

func TestDestructiveCallsRefuseUnknownFieldsAndChangeNothing(t *testing.T) {
	h := newHarness(t)
	d := h.destination()
	arn := h.call("admin", "replication_target/create", d.createBody("backup", d.bucket, d.secretKey)).str("target", "arn")
	jobID := strconv.FormatInt(createJob(t, h, "alice", "alice", ""), 10)
	bob := itoa(h.ids["bob"])
	h.call("bob", "s3/user/generate_credentials", "")
	h.addUser("carol", "USER")
	carol := itoa(h.ids["carol"])

	tests := []struct {
		endpoint, body, field string
	}{
		{"user/delete", `{"id":{"id":` + carol + `},"force":true}`, `"force"`},
		{"user/delete", `{"id":{"id":` + carol + `,"realm":"x"}}`, `"realm"`},
		{"jobs/cancel", `{"jobId":{"id":` + jobID + `},"reason":"typo"}`, `"reason"`},
		{"replication_target/delete", `{"arn":"` + arn + `","force":true}`, `"force"`},
		{"user/revoke_credentials", `{"id":` + bob + `,"accesKey":"AK"}`, `"accesKey"`},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+" with "+tt.field, func(t *testing.T) {
			wantError(t, h.call("admin", tt.endpoint, tt.body), 400, CodeInvalidRequest, "unknown field "+tt.field)
		})
	}
	if _, err := h.users.GetUser(h.ctx, h.ids["carol"]); err != nil {
		t.Fatalf("a refused user/delete deleted carol: %v", err)
	}
	if st := h.call("alice", "jobs/status", `{"jobId":{"id":`+jobID+`}}`).str("status", "jobState"); st == "CANCELLED" {
		t.Fatal("a refused jobs/cancel cancelled the job")
	}
	if r := h.call("admin", "replication_target/list", ""); len(r.get("targets").([]any)) != 1 {
		t.Fatalf("a refused replication_target/delete deleted the target: %s", r.raw)
	}
	if len(h.keysOf("bob")) != 1 {
		t.Fatal("a refused revoke_credentials revoked bob's key")
	}

	// The same calls without the stray field go through, and reads stay
	// lenient about fields they do not know.
	wantOK(t, h.call("alice", "jobs/status", `{"jobId":{"id":`+jobID+`},"verbose":true}`))
	wantOK(t, h.call("admin", "user/list", `{"filter":"x"}`))
	wantOK(t, h.call("admin", "replication_target/test", `{"arn":"`+arn+`","extra":1}`))
	wantOK(t, h.call("admin", "user/list_buckets", `{"startingAfter":"x"}`))
	wantOK(t, h.call("admin", "jobs/cancel", `{"jobId":{"id":`+jobID+`}}`))
	wantOK(t, h.call("admin", "user/delete", `{"id":{"id":`+carol+`}}`))
	wantOK(t, h.call("admin", "replication_target/delete", `{"arn":"`+arn+`"}`))
}
