package mapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/replication"
	"github.com/quarrylabs/quarry/internal/s3api"
)

// destination is an S3 endpoint for targets to point at: the harness's own
// object service behind a real S3 handler, with a bucket and an access key
// of the admin's.
type destination struct {
	url, bucket, accessKey, secretKey string
}

func (h *harness) destination() destination {
	h.t.Helper()
	srv := httptest.NewServer(s3api.New(s3api.Config{Objects: h.objects, Creds: h.users, Region: "us-east-1"}))
	h.t.Cleanup(srv.Close)
	h.addBucket("admin", "replica")
	ak, sk, err := h.users.CreateAccessKey(h.ctx, h.ids["admin"])
	if err != nil {
		h.t.Fatal(err)
	}
	return destination{url: srv.URL, bucket: "replica", accessKey: ak, secretKey: sk}
}

// createBody is a replication_target/create body for d under name, with
// secret as the secret key.
func (d destination) createBody(name, bucket, secret string) string {
	return fmt.Sprintf(`{"name":%q,"endpoint":%q,"region":"us-east-1","accessKey":%q,"secretKey":%q,"bucket":%q}`,
		name, d.url, d.accessKey, secret, bucket)
}

// closedURL is an http URL on which nothing listens.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// wantNoSecret fails t if secret appears in r or in the server's logs.
func wantNoSecret(t *testing.T, h *harness, r response, secret string) {
	t.Helper()
	if strings.Contains(r.raw, secret) {
		t.Fatalf("the response holds the secret key: %s", r.raw)
	}
	if strings.Contains(h.logs.String(), secret) {
		t.Fatalf("the logs hold the secret key")
	}
}

func TestAReplicationTargetIsCreatedListedTestedAndDeleted(t *testing.T) {
	h := newHarness(t)
	d := h.destination()

	r := h.call("admin", "replication_target/create", d.createBody("backup", d.bucket, d.secretKey))
	wantOK(t, r)
	wantNoSecret(t, h, r, d.secretKey)
	arn := r.str("target", "arn")
	if !strings.HasPrefix(arn, "arn:quarry:replication:") || !strings.HasSuffix(arn, ":"+d.bucket) {
		t.Fatalf("arn %q is not arn:quarry:replication:<region>:<id>:<bucket>", arn)
	}
	target := r.get("target").(map[string]any)
	// Its owner and an admin see who may use it: here nobody else.
	owner := map[string]any{"id": map[string]any{"id": h.ids["admin"]}, "username": "admin"}
	want := map[string]any{"arn": arn, "name": "backup", "endpoint": d.url, "region": "us-east-1", "bucket": d.bucket,
		"owner": owner, "allUsers": false, "users": []any{}}
	if fmt.Sprint(target) != fmt.Sprint(want) {
		t.Fatalf("target = %v, want exactly %v", target, want)
	}

	wantError(t, h.call("admin", "replication_target/create", d.createBody("backup", d.bucket, d.secretKey)),
		409, CodeConflict, "backup already exists")

	r = h.call("admin", "replication_target/list", `{}`)
	wantOK(t, r)
	wantNoSecret(t, h, r, d.secretKey)
	targets, _ := r.get("targets").([]any)
	if len(targets) != 1 || fmt.Sprint(targets[0]) != fmt.Sprint(want) {
		t.Fatalf("targets = %v, want [%v]", targets, want)
	}

	r = h.call("admin", "replication_target/test", `{"arn":"`+arn+`"}`)
	wantOK(t, r)
	if ok, _ := r.get("ok").(bool); !ok || len(r.body) != 1 {
		t.Fatalf("test answered %s, want {\"ok\": true}", r.raw)
	}

	wantOK(t, h.call("admin", "replication_target/delete", `{"arn":"`+arn+`"}`))
	r = h.call("admin", "replication_target/list", ``)
	wantOK(t, r)
	if targets, _ := r.get("targets").([]any); targets == nil || len(targets) != 0 {
		t.Fatalf("targets after delete: %s, want []", r.raw)
	}
	wantError(t, h.call("admin", "replication_target/delete", `{"arn":"`+arn+`"}`), 404, CodeNotFound, arn)
	wantError(t, h.call("admin", "replication_target/test", `{"arn":"`+arn+`"}`), 404, CodeNotFound, arn)
	wantNoSecret(t, h, r, d.secretKey)
}

func TestATargetThatCannotBeUsedFailsItsTestWithTheReason(t *testing.T) {
	h := newHarness(t)
	d := h.destination()
	wrongSecret := strings.Repeat("w", len(d.secretKey))
	unreachable := destination{url: closedURL(t), bucket: d.bucket, accessKey: d.accessKey, secretKey: d.secretKey}
	tests := []struct {
		name string
		body string
	}{
		{"a wrong secret key", d.createBody("wrong-secret", d.bucket, wrongSecret)},
		{"a bucket the endpoint does not have", d.createBody("no-bucket", "no-such-bucket", d.secretKey)},
		{"an endpoint nothing listens on", unreachable.createBody("unreachable", d.bucket, d.secretKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call("admin", "replication_target/create", tt.body)
			wantOK(t, r) // creating does not contact the endpoint
			r = h.call("admin", "replication_target/test", `{"arn":"`+r.str("target", "arn")+`"}`)
			wantError(t, r, 400, CodeInvalidRequest, "replication target test failed: ")
			t.Logf("the server said: %s", r.str("message"))
			wantNoSecret(t, h, r, d.secretKey)
			wantNoSecret(t, h, r, wrongSecret)
		})
	}
}

func TestATargetABucketReplicatesToCannotBeDeleted(t *testing.T) {
	h := newHarness(t)
	d := h.destination()
	r := h.call("admin", "replication_target/create", d.createBody("in-use", d.bucket, d.secretKey))
	wantOK(t, r)
	arn := r.str("target", "arn")
	setReplication := func(config []byte, arns ...string) {
		t.Helper()
		err := h.store.Update(h.ctx, func(tx meta.Tx) error { return tx.SetBucketReplication("alice", config, arns) })
		if err != nil {
			t.Fatal(err)
		}
	}
	setReplication([]byte(`{"rules":[{"id":"r1","enabled":true,"destination":"`+arn+`"}]}`), arn)

	wantError(t, h.call("admin", "replication_target/delete", `{"arn":"`+arn+`"}`), 409, CodeConflict, "in use", "alice")
	wantOK(t, h.call("admin", "replication_target/list", `{}`))
	if r := h.call("admin", "replication_target/list", `{}`); !strings.Contains(r.raw, arn) {
		t.Fatalf("a refused delete removed the target: %s", r.raw)
	}

	setReplication(nil)
	wantOK(t, h.call("admin", "replication_target/delete", `{"arn":"`+arn+`"}`))
}

// targetARNs lists the ARNs user sees in replication_target/list.
func targetARNs(t *testing.T, h *harness, user string) []string {
	t.Helper()
	r := h.call(user, "replication_target/list", `{}`)
	wantOK(t, r)
	var arns []string
	targets, _ := r.get("targets").([]any)
	for _, tg := range targets {
		arns = append(arns, tg.(map[string]any)["arn"].(string))
	}
	return arns
}

func TestUsersSeeUseAndManageOnlyTheTargetsTheyMay(t *testing.T) {
	h := newHarness(t)
	d := h.destination()
	r := h.call("admin", "replication_target/create",
		strings.TrimSuffix(d.createBody("to-bob", d.bucket, d.secretKey), "}")+`,"users":["bob"]}`)
	wantOK(t, r)
	arn := r.str("target", "arn")
	if users := r.get("target", "users").([]any); len(users) != 1 || fmt.Sprint(users[0]) != fmt.Sprint(map[string]any{"id": map[string]any{"id": h.ids["bob"]}, "username": "bob"}) {
		t.Fatalf("the new target's users = %v, want bob", users)
	}

	t.Run("alice, not granted it, does not see it and is told it does not exist", func(t *testing.T) {
		if arns := targetARNs(t, h, "alice"); len(arns) != 0 {
			t.Fatalf("alice lists %v", arns)
		}
		for _, ep := range []string{"replication_target/delete", "replication_target/test", "replication_target/update_access"} {
			r := h.call("alice", ep, `{"arn":"`+arn+`"}`)
			wantError(t, r, 404, CodeNotFound, "replication target "+arn+" does not exist")
		}
	})

	t.Run("bob, granted it, sees where it points but not who else may use it", func(t *testing.T) {
		r := h.call("bob", "replication_target/list", `{}`)
		wantOK(t, r)
		targets, _ := r.get("targets").([]any)
		if len(targets) != 1 {
			t.Fatalf("bob lists %s", r.raw)
		}
		got := targets[0].(map[string]any)
		want := map[string]any{"arn": arn, "name": "to-bob", "endpoint": d.url, "region": "us-east-1", "bucket": d.bucket}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("bob sees %v, want exactly %v", got, want)
		}
		for _, ep := range []string{"replication_target/delete", "replication_target/test", "replication_target/update_access"} {
			wantError(t, h.call("bob", ep, `{"arn":"`+arn+`"}`), 403, CodeForbidden, "only its owner or an administrator")
		}
	})

	t.Run("a user may register a target for itself but not grant it to others", func(t *testing.T) {
		for _, extra := range []string{`"users":["bob"]`, `"allUsers":true`, `"users":[{"id":` + itoa(h.ids["bob"]) + `}]`} {
			body := strings.TrimSuffix(d.createBody("alices", d.bucket, d.secretKey), "}") + "," + extra + "}"
			wantError(t, h.call("alice", "replication_target/create", body), 403, CodeForbidden, "only an administrator may grant")
		}
		r := h.call("alice", "replication_target/create", d.createBody("alices", d.bucket, d.secretKey))
		wantOK(t, r)
		own := r.str("target", "arn")
		if r.str("target", "owner", "username") != "alice" {
			t.Fatalf("alice's target is owned by %v", r.get("target", "owner"))
		}
		if arns := targetARNs(t, h, "alice"); len(arns) != 1 || arns[0] != own {
			t.Fatalf("alice lists %v, want only her own %s", arns, own)
		}
		if arns := targetARNs(t, h, "bob"); len(arns) != 1 || arns[0] != arn {
			t.Fatalf("bob lists %v, want only %s", arns, arn)
		}
		wantError(t, h.call("alice", "replication_target/update_access", `{"arn":"`+own+`","allUsers":true}`),
			403, CodeForbidden, "only an administrator may grant")
		wantOK(t, h.call("alice", "replication_target/update_access", `{"arn":"`+own+`"}`))
		wantOK(t, h.call("alice", "replication_target/delete", `{"arn":"`+own+`"}`))
	})

	t.Run("the admin changes the grants: revoking bob hides it from him", func(t *testing.T) {
		r := h.call("admin", "replication_target/update_access", `{"arn":"`+arn+`","users":["alice"]}`)
		wantOK(t, r)
		if users := r.get("target", "users").([]any); len(users) != 1 || !strings.Contains(fmt.Sprint(users[0]), "alice") {
			t.Fatalf("users after the update = %v, want alice only", users)
		}
		if arns := targetARNs(t, h, "bob"); len(arns) != 0 {
			t.Fatalf("bob still lists %v", arns)
		}
		if arns := targetARNs(t, h, "alice"); len(arns) != 1 {
			t.Fatalf("alice lists %v, want the target", arns)
		}
		r = h.call("admin", "replication_target/update_access", `{"arn":"`+arn+`","allUsers":true}`)
		wantOK(t, r)
		if r.get("target", "allUsers") != true || len(r.get("target", "users").([]any)) != 0 {
			t.Fatalf("after granting all users: %s", r.raw)
		}
		if arns := targetARNs(t, h, "bob"); len(arns) != 1 {
			t.Fatalf("bob lists %v once it is granted to all users", arns)
		}
	})
}

func TestReplicationTargetEndpointsNameWhatIsWrongWithTheirFields(t *testing.T) {
	h := newHarness(t)
	const unknownARN = "arn:quarry:replication:eu-test-1:999:nowhere"
	full := `"name":"t","endpoint":"http://127.0.0.1:1","accessKey":"AK","secretKey":"SK","bucket":"b"`
	tests := []struct {
		endpoint   string
		body       string
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"replication_target/create", `{}`, 400, CodeInvalidRequest, "name is required"},
		{"replication_target/create", ``, 400, CodeInvalidRequest, "name is required"},
		{"replication_target/create", `{"name":"t"}`, 400, CodeInvalidRequest, "endpoint is required"},
		{"replication_target/create", `{"name":"t","endpoint":"http://x"}`, 400, CodeInvalidRequest, "accessKey is required"},
		{"replication_target/create", `{"name":"t","endpoint":"http://x","accessKey":"AK"}`, 400, CodeInvalidRequest, "secretKey is required"},
		{"replication_target/create", `{"name":"t","endpoint":"http://x","accessKey":"AK","secretKey":"SK"}`, 400, CodeInvalidRequest, "bucket is required"},
		{"replication_target/create", `{"name":"  ","endpoint":"http://x","accessKey":"AK","secretKey":"SK","bucket":"b"}`, 400, CodeInvalidRequest, "name is required"},
		{"replication_target/create", `{"name":5,"endpoint":"http://x"}`, 400, CodeInvalidRequest, "name must be a string"},
		{"replication_target/create", `{` + full + `,"secretKey":12}`, 400, CodeInvalidRequest, "secretKey must be a string"},
		{"replication_target/create", `{` + full + `,"region":["r"]}`, 400, CodeInvalidRequest, "region must be a string"},
		{"replication_target/create", `{` + full + `,"insecureSkipVerify":"yes"}`, 400, CodeInvalidRequest, "insecureSkipVerify must be a boolean"},
		{"replication_target/create", `{` + full + `,"endpoint":"ftp://127.0.0.1"}`, 400, CodeInvalidRequest, "invalid replication target"},
		{"replication_target/create", `{` + full + `,"endpoint":"http://127.0.0.1:0"}`, 400, CodeInvalidRequest, "port must be 1 to 65535"},
		{"replication_target/create", `{` + full + `,"endpoint":"http://127.0.0.1:9000/bucket"}`, 400, CodeInvalidRequest, "must not hold a path"},
		{"replication_target/create", `{` + full + `,"users":"bob"}`, 400, CodeInvalidRequest, "users must be an array of usernames"},
		{"replication_target/create", `{` + full + `,"users":[7]}`, 400, CodeInvalidRequest, "users must be an array of usernames"},
		{"replication_target/create", `{` + full + `,"users":[{"id":0}]}`, 400, CodeInvalidRequest, "users must be an array of usernames"},
		{"replication_target/create", `{` + full + `,"bucket":"bkt","users":["nobody"]}`, 400, CodeInvalidRequest, `no user is named "nobody"`},
		{"replication_target/create", `{` + full + `,"bucket":"bkt","users":[{"id":999}]}`, 400, CodeInvalidRequest, "no user has id 999"},
		{"replication_target/create", `{` + full + `,"allUsers":"yes"}`, 400, CodeInvalidRequest, "allUsers must be a boolean"},
		{"replication_target/update_access", `{}`, 400, CodeInvalidRequest, "arn is required"},
		{"replication_target/update_access", `{"arn":"` + unknownARN + `","users":["bob"]}`, 404, CodeNotFound, unknownARN},
		{"replication_target/update_access", `{"arn":"` + unknownARN + `","users":{"bob":1}}`, 400, CodeInvalidRequest, "users must be an array"},
		{"replication_target/list", `{"pageSize":"x"}`, 200, "", ""},
		{"replication_target/delete", `{}`, 400, CodeInvalidRequest, "arn is required"},
		{"replication_target/delete", `{"arn":7}`, 400, CodeInvalidRequest, "arn must be a string"},
		{"replication_target/delete", `{"arn":"` + unknownARN + `"}`, 404, CodeNotFound, unknownARN},
		{"replication_target/test", ``, 400, CodeInvalidRequest, "arn is required"},
		{"replication_target/test", `{"arn":null}`, 400, CodeInvalidRequest, "arn is required"},
		{"replication_target/test", `{"arn":{"id":1}}`, 400, CodeInvalidRequest, "arn must be a string"},
		{"replication_target/test", `{"arn":"` + unknownARN + `"}`, 404, CodeNotFound, unknownARN},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint+" "+tt.body, func(t *testing.T) {
			r := h.call("admin", tt.endpoint, tt.body)
			if tt.wantStatus == 200 {
				wantOK(t, r)
				return
			}
			wantError(t, r, tt.wantStatus, tt.wantCode, tt.wantMsg)
		})
	}
}

// failingTargets is a replication service whose every call fails with err.
type failingTargets struct{ err error }

func (f failingTargets) CreateTarget(context.Context, auth.Principal, replication.TargetInput) (*replication.TargetInfo, error) {
	return nil, f.err
}

func (f failingTargets) ListTargets(context.Context, auth.Principal) ([]replication.TargetInfo, error) {
	return nil, f.err
}

func (f failingTargets) UpdateTargetAccess(context.Context, auth.Principal, string, replication.Grants) (*replication.TargetInfo, error) {
	return nil, f.err
}

func (f failingTargets) DeleteTarget(context.Context, auth.Principal, string) error { return f.err }
func (f failingTargets) TestTarget(context.Context, auth.Principal, string) error   { return f.err }

func TestTheReplicationServicesErrorsBecomeMAPIErrors(t *testing.T) {
	const arn = "arn:quarry:replication:eu-test-1:1:b"
	tests := []struct {
		name       string
		err        error
		endpoint   string
		body       string
		wantStatus int
		wantCode   string
		wantMsg    []string
	}{
		{"an invalid target is a 400 with the reason",
			fmt.Errorf("create target: %w: endpoint must be an http or https URL", replication.ErrInvalidTarget),
			"replication_target/create", `{"name":"t","endpoint":"x","accessKey":"a","secretKey":"s","bucket":"b"}`,
			400, CodeInvalidRequest, []string{"invalid replication target: endpoint must be an http or https URL"}},
		{"a taken name is a 409 naming it", replication.ErrTargetExists,
			"replication_target/create", `{"name":"t","endpoint":"x","accessKey":"a","secretKey":"s","bucket":"b"}`,
			409, CodeConflict, []string{"named t already exists"}},
		{"an unknown ARN is a 404 naming it", fmt.Errorf("delete %s: %w", arn, replication.ErrNoSuchTarget),
			"replication_target/delete", `{"arn":"` + arn + `"}`, 404, CodeNotFound, []string{arn, "does not exist"}},
		{"a target in use is a 409 naming the buckets",
			fmt.Errorf("delete %s: %w: used by buckets photos, logs", arn, replication.ErrTargetInUse),
			"replication_target/delete", `{"arn":"` + arn + `"}`, 409, CodeConflict, []string{"is in use: used by buckets photos, logs"}},
		{"a failed test is a 400 with why",
			fmt.Errorf("%w: the endpoint refused the credentials (SignatureDoesNotMatch)", replication.ErrTargetUnreachable),
			"replication_target/test", `{"arn":"` + arn + `"}`, 400, CodeInvalidRequest,
			[]string{"replication target test failed: the endpoint refused the credentials (SignatureDoesNotMatch)"}},
		{"a failed test without a reason still says it failed", replication.ErrTargetUnreachable,
			"replication_target/test", `{"arn":"` + arn + `"}`, 400, CodeInvalidRequest, []string{"replication target test failed"}},
		{"a forbidden action is a 403 saying why",
			fmt.Errorf("%w: only its owner or an administrator may delete replication target %s", replication.ErrTargetForbidden, arn),
			"replication_target/delete", `{"arn":"` + arn + `"}`, 403, CodeForbidden, []string{"only its owner or an administrator may delete"}},
		{"an internal failure is a 500 that hides it", errors.New("disk on fire"),
			"replication_target/list", `{}`, 500, CodeInternal, []string{"failed to handle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, withReplication(failingTargets{tt.err}))
			r := h.call("admin", tt.endpoint, tt.body)
			wantError(t, r, tt.wantStatus, tt.wantCode, tt.wantMsg...)
			if tt.wantStatus == 500 {
				if strings.Contains(r.raw, "disk on fire") {
					t.Fatalf("a 500 shows the internal error: %s", r.raw)
				}
				if !strings.Contains(h.logs.String(), "disk on fire") {
					t.Fatal("the internal error was not logged")
				}
			}
		})
	}
}

func TestAHandlerWithoutAReplicationServiceDoesNotRouteTargets(t *testing.T) {
	h := newHarness(t, withReplication(nil))
	for _, rt := range h.handler.Routes() {
		if strings.HasPrefix(rt.Name, "replication_target/") {
			t.Fatalf("%s is routed without a replication service", rt.Path)
		}
	}
	wantError(t, h.call("admin", "replication_target/list", `{}`), 501, CodeNotImplemented, "replication_target/list")
}
