package mapi

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEncryptionModeIsNoneUntilAnAdminSetsIt(t *testing.T) {
	h := newHarness(t)
	r := h.call("admin", "s3_encryption/get", "")
	wantOK(t, r)
	if r.str("encryptionMode") != "NONE" {
		t.Fatalf("fresh mode %s, want NONE", r.raw)
	}
	if events, ok := r.get("rekeyEvents").([]any); !ok || len(events) != 0 {
		t.Fatalf("rekeyEvents of a fresh server = %s, want []", r.raw)
	}

	r = h.call("admin", "s3_encryption/set", `{"encryptionMode":"INTERNAL"}`)
	wantOK(t, r)
	events := r.get("rekeyEvents").([]any)
	if r.str("encryptionMode") != "INTERNAL" || len(events) != 1 {
		t.Fatalf("after set: %s", r.raw)
	}
	ev := events[0].(map[string]any)
	if ev["user"] != "admin" || ev["code"] != "MODE_CHANGED" || !strings.Contains(ev["message"].(string), "NONE to INTERNAL") {
		t.Fatalf("event = %v", ev)
	}
	if ts, ok := ev["timestamp"].(float64); !ok || ts != float64(int64(ts)) || time.Since(time.Unix(int64(ts), 0)).Abs() > time.Minute {
		t.Fatalf("timestamp %v, want unix seconds near %d", ev["timestamp"], time.Now().Unix())
	}
	// The same mode again records nothing; get reads what set wrote.
	wantOK(t, h.call("admin", "s3_encryption/set", `{"encryptionMode":"internal"}`))
	r = h.call("admin", "s3_encryption/get", "")
	if r.str("encryptionMode") != "INTERNAL" || len(r.get("rekeyEvents").([]any)) != 1 {
		t.Fatalf("get after two sets: %s", r.raw)
	}
}

func TestEncryptionCallsRefuseUsersAndBadModes(t *testing.T) {
	h := newHarness(t)
	for _, endpoint := range []string{"s3_encryption/get", "s3_encryption/set", "s3_encryption/rotate_key"} {
		wantError(t, h.call("alice", endpoint, `{"encryptionMode":"NONE"}`), http.StatusForbidden, CodeForbidden)
	}
	for _, tc := range []struct{ body, says string }{
		{``, "encryptionMode is required"},
		{`{}`, "encryptionMode is required"},
		{`{"encryptionMode":"KMS"}`, `"KMS" is not one of NONE, INTERNAL`},
		{`{"encryptionMode":1}`, "encryptionMode must be a string"},
		{`{"encryptionMode":null}`, "encryptionMode is required"},
	} {
		wantError(t, h.call("admin", "s3_encryption/set", tc.body), http.StatusBadRequest, CodeInvalidRequest, tc.says)
	}
	if r := h.call("admin", "s3_encryption/get", ""); r.str("encryptionMode") != "NONE" {
		t.Fatalf("refused calls changed the mode: %s", r.raw)
	}
}

func TestRotatingTheKeyIsRecorded(t *testing.T) {
	h := newHarness(t)
	r := h.call("admin", "s3_encryption/rotate_key", "")
	wantOK(t, r)
	events := r.get("rekeyEvents").([]any)
	if len(events) != 1 {
		t.Fatalf("events after rotation: %s", r.raw)
	}
	ev := events[0].(map[string]any)
	if ev["code"] != "KEY_ROTATED" || ev["user"] != "admin" || !strings.Contains(ev["message"].(string), "rotated") {
		t.Fatalf("event = %v", ev)
	}
}
