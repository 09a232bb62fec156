package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// logRecords are the JSON log lines of srv (--log-format json) whose
// request_id is id.
func logRecords(t *testing.T, srv *server, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(srv.Output(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q: %v", line, err)
		}
		if rec["request_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

// wantAccessLine fails t unless exactly one log line is about request id,
// at INFO, with every field of want (numbers compared as JSON numbers).
func wantAccessLine(t *testing.T, srv *server, what, id string, want map[string]any) {
	t.Helper()
	if id == "" {
		t.Fatalf("%s: the response carries no request id", what)
	}
	// The line reaches the test through the process's stderr pipe, maybe
	// after the response: wait for it a little.
	recs := logRecords(t, srv, id)
	for deadline := time.Now().Add(5 * time.Second); len(recs) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		recs = logRecords(t, srv, id)
	}
	time.Sleep(50 * time.Millisecond) // and for a second line, which must not come
	if recs = logRecords(t, srv, id); len(recs) != 1 {
		t.Fatalf("%s: %d log lines for request %s, want 1: %v", what, len(recs), id, recs)
	}
	rec := recs[0]
	if rec["level"] != "INFO" {
		t.Errorf("%s: logged at %v, want INFO", what, rec["level"])
	}
	// The fields every refused request carries, in S3 and the MAPI alike.
	for _, field := range []string{"op", "status", "code", "user", "request_id", "address"} {
		if _, ok := rec[field]; !ok {
			t.Errorf("%s: the line lacks %q: %v", what, field, rec)
		}
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s: %s = %v, want %v (line %v)", what, k, rec[k], v, rec)
		}
	}
}

// TestEveryRefusedRequestIsLoggedOnceWithoutSecrets sends refused S3 and
// MAPI requests to a server logging JSON and reads its stderr: one line
// each, at info, with operation, bucket, key, status, code, user and
// request id, and no signature, token, password or secret key anywhere.
func TestEveryRefusedRequestIsLoggedOnceWithoutSecrets(t *testing.T) {
	t.Parallel()
	srv := startServer(t, serverOptions{Args: []string{"--log-format", "json"}})
	root := mapiRoot(t, srv)
	secrets := []string{rootSecretKey, rootPassword, root.AccessToken, root.RefreshToken, root.XSRF}

	t.Run("an S3 request for a missing bucket", func(t *testing.T) {
		r := do(t, srv, rawRequest{Method: http.MethodGet, Target: "/no-such-bucket-log/some/key.txt"})
		wantRaw(t, "GET", r, http.StatusNotFound, "NoSuchBucket")
		wantAccessLine(t, srv, "NoSuchBucket", r.Header.Get("X-Amz-Request-Id"), map[string]any{
			"msg": "s3 request refused", "op": "GetObject", "bucket": "no-such-bucket-log", "key": "some/key.txt",
			"status": float64(404), "code": "NoSuchBucket", "user": rootUser, "access_key": rootAccessKey,
		})
	})

	t.Run("an S3 request signed with a wrong secret", func(t *testing.T) {
		const wrongSecret = "wrong-secret-key-for-the-access-log-test"
		req, err := buildRaw(t.Context(), srv.S3URL, rawRequest{Method: http.MethodGet, Target: "/",
			AccessKey: rootAccessKey, SecretKey: wrongSecret})
		if err != nil {
			t.Fatal(err)
		}
		authz := req.Header.Get("Authorization")
		_, signature, _ := strings.Cut(authz, "Signature=")
		if len(signature) != 64 {
			t.Fatalf("no signature in %q", authz)
		}
		secrets = append(secrets, signature, wrongSecret)
		resp, err := insecureHTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a wrong signature answered %d", resp.StatusCode)
		}
		wantAccessLine(t, srv, "SignatureDoesNotMatch", resp.Header.Get("X-Amz-Request-Id"), map[string]any{
			"msg": "s3 request refused", "op": "ListBuckets", "status": float64(403), "code": "SignatureDoesNotMatch",
			"user": "", "access_key": rootAccessKey,
		})
	})

	t.Run("a MAPI call on a missing bucket", func(t *testing.T) {
		r := root.as(t).post("jobs/create", map[string]any{"jobType": metricRecon, "bucketName": "no-such-bucket-log"})
		if r.Status != http.StatusNotFound {
			t.Fatalf("jobs/create: %s", r)
		}
		wantAccessLine(t, srv, "jobs/create", r.Header.Get("X-Request-Id"), map[string]any{
			"msg": "mapi request refused", "op": "jobs/create", "bucket": "no-such-bucket-log",
			"status": float64(404), "code": "NOT_FOUND", "user": rootUser, "path": "/mapi/v1/jobs/create",
		})
	})

	t.Run("a MAPI path that does not exist", func(t *testing.T) {
		r := root.as(t).post("no/such/endpoint", nil)
		if r.Status < 400 {
			t.Fatalf("an unknown path: %s", r)
		}
		wantAccessLine(t, srv, "unknown path", r.Header.Get("X-Request-Id"), map[string]any{
			"msg": "mapi request refused", "op": "unmatched", "status": float64(r.Status), "path": "/mapi/v1/no/such/endpoint",
		})
	})

	t.Run("a MAPI call with a forged token", func(t *testing.T) {
		c := root.as(t)
		forged := c.AccessToken[:len(c.AccessToken)-4] + "AAAA"
		secrets = append(secrets, forged)
		c.AccessToken = forged
		r := c.post("user/info", nil)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("a forged token: %s", r)
		}
		wantAccessLine(t, srv, "forged token", r.Header.Get("X-Request-Id"), map[string]any{
			"op": "user/info", "status": float64(401), "code": "UNAUTHORIZED", "user": "",
		})
	})

	t.Run("a wrong password at the token endpoint", func(t *testing.T) {
		const wrong = "wrong-password-for-the-access-log"
		secrets = append(secrets, wrong)
		c := newMAPIClient(t, srv)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, c.base+mapiTokenPath,
			strings.NewReader("grant_type=password&client_id="+mapiClientID+"&username="+rootUser+"&password="+wrong))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r := c.send(req)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("a wrong password: %s", r)
		}
		wantAccessLine(t, srv, "wrong password", r.Header.Get("X-Request-Id"), map[string]any{
			"msg": "mapi request refused", "op": "token", "status": float64(401), "code": "invalid_grant", "user": rootUser,
		})
	})

	out := srv.Output()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the server's output holds a secret (%d characters, starting %q)", len(s), s[:min(4, len(s))])
		}
	}
}
