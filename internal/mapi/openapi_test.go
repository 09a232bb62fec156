package mapi

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

func TestTheOpenAPIDocumentDescribesEveryRoute(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/mapi/v1/openapi.json", nil)
	r := h.send(req) // no token needed
	wantOK(t, r)
	if r.str("openapi") != "3.0.3" {
		t.Fatalf("not an OpenAPI 3.0 document: %.200s", r.raw)
	}
	paths := r.get("paths").(map[string]any)
	documented := map[string]bool{}
	for path, item := range paths {
		for method := range item.(map[string]any) {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routed := map[string]bool{}
	for _, rt := range h.handler.Routes() {
		routed[rt.Method+" "+rt.Path] = true
		if !documented[rt.Method+" "+rt.Path] {
			t.Errorf("route %s %s is not in openapi.json", rt.Method, rt.Path)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("openapi.json documents %s, which is not routed", op)
		}
	}
	for _, name := range []string{"bearer", "xsrfHeader", "xsrfCookie"} {
		if r.get("components", "securitySchemes", name) == nil {
			t.Errorf("security scheme %s is missing", name)
		}
	}
	var missing []string
	walkRefs(r.body, func(ref string) {
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		if r.get(parts...) == nil {
			missing = append(missing, ref)
		}
	})
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("unresolved $refs: %v", missing)
	}
}

func walkRefs(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				fn(s)
			}
			walkRefs(x, fn)
		}
	case []any:
		for _, x := range v {
			walkRefs(x, fn)
		}
	}
}

func TestEveryMAPIRouteIsServedUnderV1Too(t *testing.T) {
	h := newHarness(t)
	x := h.csrf()
	for _, rt := range h.handler.Routes() {
		if rt.Method != http.MethodPost || !strings.HasPrefix(rt.Path, basePath) {
			continue
		}
		mirror := mirrorPath + strings.TrimPrefix(rt.Path, basePath)
		t.Run(mirror, func(t *testing.T) {
			// An admin with a malformed body: the route answers 400 (501 for
			// the endpoints Quarry does not implement, which read no body),
			// never 404.
			r := h.send(h.request(mirror, h.token("admin"), x, x, strings.NewReader("{")))
			if notImplementedRoute(rt.Name) {
				wantError(t, r, 501, CodeNotImplemented)
				return
			}
			wantError(t, r, 400, CodeInvalidRequest)
		})
	}
	r := h.send(h.request("/v1/region/identity", h.token("alice"), x, x, nil))
	wantOK(t, r)
	h.mu.Lock()
	defer h.mu.Unlock()
	if last := h.observed[len(h.observed)-1]; last != (observation{"region/identity", 200}) {
		t.Fatalf("Observe saw %v for /v1/region/identity", last)
	}
}

func TestTheEmbeddedDocumentIsValidJSON(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
}

func notImplementedRoute(name string) bool {
	for _, group := range [][]string{kmipEndpoints, storageClassEndpoints, faultDomainEndpoints} {
		for _, n := range group {
			if n == name {
				return true
			}
		}
	}
	return false
}
