package mapi

import (
	"strings"
	"testing"
)

// logLines returns the log lines holding every one of parts.
func (h *harness) logLines(parts ...string) []string {
	var out []string
	for _, line := range strings.Split(h.logs.String(), "\n") {
		ok := line != ""
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

func TestEveryRefusedRequestIsLoggedOnceWithoutSecrets(t *testing.T) {
	h := newHarness(t)
	token := h.token("alice")
	for _, c := range []struct {
		name string
		send func() response
		want []string
	}{
		{"a call a user may not make", func() response {
			return h.call("alice", "user/create", `{"username":"eve","password":"eve-password-1"}`)
		}, []string{"status=403", "code=FORBIDDEN", "op=user/create", "user=alice", `path=/mapi/v1/user/create`}},
		{"a job on another user's bucket", func() response {
			return h.call("alice", "jobs/create", `{"jobType":"METRIC_RECONCILIATION","bucketName":"bob"}`)
		}, []string{"status=403", "op=jobs/create", "user=alice", "bucket=bob"}},
		{"an unknown path", func() response {
			return h.call("alice", "no/such/thing", `{}`)
		}, []string{"level=INFO", "status=501", "code=NOT_IMPLEMENTED", "op=unmatched", "path=/mapi/v1/no/such/thing"}},
		{"a wrong password", func() response {
			return h.tokenRequest(passwordForm("alice", "not-the-password"))
		}, []string{"status=401", "code=invalid_grant", "op=token", "user=alice"}},
		{"a bad token", func() response {
			x := h.csrf()
			return h.send(h.request("/mapi/v1/user/info", token+"x", x, x, nil))
		}, []string{"status=401", "code=UNAUTHORIZED", "op=user/info"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(h.logLines(`msg="mapi request refused"`))
			r := c.send()
			if r.status < 400 {
				t.Fatalf("answered %d", r.status)
			}
			id := r.header.Get("X-Request-Id")
			lines := h.logLines(append(c.want, `msg="mapi request refused"`, "level=INFO", "request_id="+id)...)
			if len(lines) != 1 || len(h.logLines(`msg="mapi request refused"`)) != before+1 {
				t.Fatalf("want one line with %v, got %q in\n%s", c.want, lines, h.logs.String())
			}
		})
	}
	for _, secret := range []string{token, "not-the-password", "eve-password-1", testPassword} {
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("the log holds a secret %q", secret)
		}
	}
	// Successes are not logged.
	wantOK(t, h.call("alice", "user/info", ""))
	if n := len(h.logLines("op=user/info", "status=200")); n != 0 {
		t.Errorf("a success was logged %d times", n)
	}
}
