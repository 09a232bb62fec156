package mapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestAnUnknownMAPIPathIs501NamingItWhateverTheCredentials(t *testing.T) {
	h := newHarness(t)
	x := h.csrf()
	tests := []struct {
		name, method, path, bearer string
	}{
		{"a user's POST", http.MethodPost, "/mapi/v1/storage_component/list", h.token("alice")},
		{"no token at all", http.MethodPost, "/mapi/v1/storage_component/list", ""},
		{"a forged token", http.MethodPost, "/mapi/v1/system/nothing", "not.a.token"},
		{"the /v1/ mirror", http.MethodPost, "/v1/galaxy/nothing", h.token("admin")},
		{"a PATCH, as storage_component/update is sent", http.MethodPatch, "/mapi/v1/storage_component/update", h.token("admin")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := h.request(tt.path, tt.bearer, x, x, strings.NewReader(`{}`))
			req.Method = tt.method
			r := h.send(req)
			wantError(t, r, 501, CodeNotImplemented, tt.path+" is not implemented by Quarry")
			if r.header.Get("WWW-Authenticate") != "" {
				t.Fatal("a 501 asks for credentials")
			}
		})
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "mapi request refused") || !strings.Contains(logs, "method=PATCH") ||
		!strings.Contains(logs, "path=/mapi/v1/storage_component/update") || !strings.Contains(logs, "user=alice") {
		t.Fatalf("the log does not name method, path and user:\n%s", logs)
	}
	if strings.Contains(logs, "not.a.token") {
		t.Fatal("the log holds the bearer token")
	}

	t.Run("a long path is cut in the answer", func(t *testing.T) {
		long := "/mapi/v1/" + strings.Repeat("x", 5000)
		r := h.send(h.request(long, "", "", "", nil))
		wantError(t, r, 501, CodeNotImplemented)
		if len(r.str("message")) > maxPathInMessage+100 {
			t.Fatalf("message of %d bytes", len(r.str("message")))
		}
	})
}

func TestKMIPAndStorageClassEndpointsAre501SayingWhatIsMissing(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		endpoint, body, why string
	}{
		{"kmip/list_servers", ``, "KMIP key servers are not implemented by Quarry"},
		{"kmip/add_server", `{"name":"srv1","host":"kms","port":5696,"isTls12Enabled":true,"kmipProtocol":"V1_4"}`, "server's own key"},
		{"kmip/update_server", `{"name":"srv1","isTLS12Enabled":null}`, "KMIP"},
		{"kmip/get_server", `{"name":"srv1"}`, "KMIP"},
		{"kmip/promote_server", `{"name":"srv1"}`, "KMIP"},
		{"kmip/delete_server", `{"name":"srv1"}`, "KMIP"},
		{"storage_class/list?pageSize=1000", `{"pageSize":1000}`, "storage classes are part of storage components, which come with scale-out mode"},
		{"storage_class/create", `{"name":"StandardClass","dataCount":1,"parityCount":1}`, "storage classes"},
		{"storage_class/info", `{"id":"194783998"}`, "storage classes"},
		{"storage_class/update", `{"id":"1","name":"x"}`, "storage classes"},
		{"storage_class/default/get", ``, "storage classes"},
		{"storage_class/default/update", `{"id":"1"}`, "storage classes"},
		{"storage_fault_domain/list?pageSize=100", `{"pageSize":100}`, "fault domains are part of storage components"},
		{"storage_fault_domain/info", `{"id":"1"}`, "fault domains"},
		{"storage_fault_domain/create", `{"name":"d","tags":"t"}`, "fault domains"},
		{"storage_fault_domain/update", `{"id":"1","name":"d","tags":"t"}`, "fault domains"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			wantError(t, h.call("admin", tt.endpoint, tt.body), 501, CodeNotImplemented, tt.why)
			wantError(t, h.call("alice", tt.endpoint, tt.body), 403, CodeForbidden, "administrator")
		})
	}
}

func TestTheSerialNumberIsSetAndReadBack(t *testing.T) {
	h := newHarness(t)
	wantOK(t, h.call("admin", "serial_number/get", ``))
	r := h.call("admin", "serial_number/set", `{"value":"S12345678"}`)
	wantOK(t, r)
	if r.str("value") != "S12345678" {
		t.Fatalf("set answered %s", r.raw)
	}
	for _, user := range []string{"admin", "alice"} {
		if got := h.call(user, "serial_number/get", ``).str("value"); got != "S12345678" {
			t.Fatalf("%s reads serial %q after set", user, got)
		}
	}
	// Another handler on the same store (another node) reads it too.
	other := New(h.handler.cfg)
	if got, err := other.currentSerial(h.ctx); err != nil || got != "S12345678" {
		t.Fatalf("another node reads %q, %v", got, err)
	}

	bad := []struct{ name, body, msg string }{
		{"no value", `{}`, "value is required"},
		{"a null value", `{"value":null}`, "value is required"},
		{"an empty value", `{"value":""}`, "must not be empty"},
		{"blanks only", `{"value":"   "}`, "must not be empty"},
		{"blanks around it", `{"value":" S1 "}`, "spaces"},
		{"a number", `{"value":12345678}`, "value must be a string"},
		{"a control character", `{"value":"S1\u0007"}`, "printable"},
		{"a newline", `{"value":"S1\nS2"}`, "printable"},
		{"65 characters", `{"value":"` + strings.Repeat("S", 65) + `"}`, "at most 64"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.call("admin", "serial_number/set", tt.body), 400, CodeInvalidRequest, tt.msg)
			if got := h.call("admin", "serial_number/get", ``).str("value"); got != "S12345678" {
				t.Fatalf("a refused set changed the serial to %q", got)
			}
		})
	}
	t.Run("64 characters of any script are taken", func(t *testing.T) {
		v := strings.Repeat("é", 64)
		wantOK(t, h.call("admin", "serial_number/set", `{"value":"`+v+`"}`))
	})
	t.Run("a user may not set it", func(t *testing.T) {
		wantError(t, h.call("alice", "serial_number/set", `{"value":"MINE"}`), 403, CodeForbidden)
	})
}

// get sends a GET with a bearer token and no XSRF token.
func (h *harness) get(path, bearer, host string) response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if host != "" {
		req.Host = host
	}
	return h.send(req)
}

func TestGalaxyInfoSaysQuarryTheHostItWasCalledByAndTheVersion(t *testing.T) {
	h := newHarness(t)
	r := h.get("/mapi/v1/galaxy/info", h.token("alice"), "admin.eu-test-1.cluster.example:8443")
	wantOK(t, r)
	var info struct {
		ProductShortName, GalaxyFqdn, GmsVersion string
		Regions                                  []struct{ Name, Version string }
	}
	if err := json.Unmarshal([]byte(r.raw), &info); err != nil {
		t.Fatal(err)
	}
	if info.ProductShortName != "Quarry" || info.GalaxyFqdn != "admin.eu-test-1.cluster.example" || info.GmsVersion != "1.2.3-test" ||
		len(info.Regions) != 1 || info.Regions[0].Name != "eu-test-1" || info.Regions[0].Version != "1.2.3-test" {
		t.Fatalf("galaxy/info: %s", r.raw)
	}
	if got := h.get("/v1/galaxy/info", h.token("alice"), "[::1]:9001").str("galaxyFqdn"); got != "::1" {
		t.Fatalf("galaxyFqdn for [::1]:9001 = %q", got)
	}
	wantError(t, h.get("/mapi/v1/galaxy/info", "", ""), 401, CodeUnauthorized)
	wantError(t, h.call("alice", "galaxy/info", ``), 405, CodeMethodNotAllowed)
}

func TestLicencesAreHonestlyNone(t *testing.T) {
	h := newHarness(t)
	r := h.call("alice", "license/list", ``)
	wantOK(t, r)
	if r.raw != "{\"licenses\":[]}\n" {
		t.Fatalf("license/list: %s", r.raw)
	}
	wantError(t, h.call("admin", "license/add", "-----BEGIN LICENSE-----\nfeature=DARE\n"), 400, CodeInvalidRequest,
		"Quarry needs no licence; nothing was installed")
	wantError(t, h.call("alice", "license/add", "x"), 403, CodeForbidden)
	if h.call("admin", "license/list", ``).raw != "{\"licenses\":[]}\n" {
		t.Fatal("license/add installed something")
	}
}
