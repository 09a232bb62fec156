package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

func newServer(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, method, p string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, p, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// wantSecurityHeaders checks the headers every answer must carry.
func wantSecurityHeaders(t *testing.T, what string, h http.Header, s3Origin string) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	want := map[string]string{
		"default-src":     "'self'",
		"script-src":      "'self'",
		"style-src":       "'self'",
		"frame-ancestors": "'none'",
		"object-src":      "'none'",
		"base-uri":        "'none'",
		"form-action":     "'self'",
		"connect-src":     strings.TrimSpace("'self' " + s3Origin),
	}
	for name, value := range want {
		if directives[name] != value {
			t.Errorf("%s: CSP %s is %q, want %q (policy %q)", what, name, directives[name], value, csp)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("%s: CSP allows something unsafe: %q", what, csp)
	}
	if got := h.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("%s: X-Frame-Options %q, want DENY", what, got)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q, want nosniff", what, got)
	}
}

func TestThePageIsServedAtTheRootAndUnderConsoleWithItsPolicy(t *testing.T) {
	srv := newServer(t, Config{S3Origin: func(r *http.Request) string { return "http://127.0.0.1:9000" }})
	index, _ := static.ReadFile("static/index.html")
	for _, p := range []string{"/", "/console/"} {
		resp, body := get(t, srv, http.MethodGet, p, nil)
		if resp.StatusCode != http.StatusOK || body != string(index) {
			t.Fatalf("GET %s: %s, body %.80q; want 200 with index.html", p, resp.Status, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		wantSecurityHeaders(t, "GET "+p, resp.Header, "http://127.0.0.1:9000")
	}
}

func TestEveryFileHasItsTypeAndRevalidates(t *testing.T) {
	h := New(Config{})
	srv := newServer(t, Config{})
	if len(h.Files()) < 4 {
		t.Fatalf("only %d files served: %v", len(h.Files()), h.Files())
	}
	for _, name := range h.Files() {
		resp, body := get(t, srv, http.MethodGet, Prefix+name, nil)
		want, _ := static.ReadFile("static/" + name)
		if resp.StatusCode != http.StatusOK || body != string(want) {
			t.Errorf("GET %s: %s, %d bytes; want 200 with the file's %d", name, resp.Status, len(body), len(want))
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != contentTypes[path.Ext(name)] {
			t.Errorf("GET %s: Content-Type %q", name, ct)
		}
		wantSecurityHeaders(t, "GET "+name, resp.Header, "")
		etag := resp.Header.Get("ETag")
		if etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: ETag %q, Cache-Control %q; want an ETag and no-cache", name, etag, resp.Header.Get("Cache-Control"))
			continue
		}
		again, body := get(t, srv, http.MethodGet, Prefix+name, map[string]string{"If-None-Match": etag})
		if again.StatusCode != http.StatusNotModified || body != "" {
			t.Errorf("GET %s with its ETag: %s, %d bytes; want 304 and no body", name, again.Status, len(body))
		}
	}
}

func TestEveryEmbeddedFileIsServed(t *testing.T) {
	served := map[string]bool{}
	for _, f := range New(Config{}).Files() {
		served[f] = true
	}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if name := strings.TrimPrefix(p, "static/"); !served[name] {
			t.Errorf("%s is embedded but not served: its extension %q has no content type", p, path.Ext(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnknownPathsAndMethodsAreRefusedWithThePolicyToo(t *testing.T) {
	srv := newServer(t, Config{})
	for _, p := range []string{"/console/nope.js", "/console/../console.go", "/console/static/index.html", "/elsewhere"} {
		resp, _ := get(t, srv, http.MethodGet, p, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
		wantSecurityHeaders(t, "GET "+p, resp.Header, "")
	}
	resp, _ := get(t, srv, http.MethodPost, "/console/", nil)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /console/: %s, Allow %q; want 405 allowing GET, HEAD", resp.Status, resp.Header.Get("Allow"))
	}
	resp, body := get(t, srv, http.MethodHead, "/", nil)
	if resp.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD /: %s with %d bytes", resp.Status, len(body))
	}
}

func TestAnS3OriginThatCouldBendThePolicyIsLeftOut(t *testing.T) {
	for _, bad := range []string{"http://x; script-src *", "javascript:alert(1)", "http://a b", "'unsafe-inline'", "ftp://host"} {
		srv := newServer(t, Config{S3Origin: func(*http.Request) string { return bad }})
		resp, _ := get(t, srv, http.MethodGet, "/", nil)
		wantSecurityHeaders(t, "S3 origin "+bad, resp.Header, "")
	}
}

// The page must run under its own policy: no inline script or style, no
// event handler attributes, nothing fetched from another site.
func TestTheFilesNeedNothingThePolicyForbids(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<style|\son[a-z]+\s*=|\sstyle\s*=|javascript:`)
	external := regexp.MustCompile(`(?i)(?:src|href)\s*=\s*["']?(?:https?:)?//|@import\s+url\(\s*["']?(?:https?:)?//|import\s[^;]*from\s+["'](?:https?:)?//`)
	for _, name := range New(Config{}).Files() {
		body, _ := static.ReadFile("static/" + name)
		switch path.Ext(name) {
		case ".html":
			for _, tag := range regexp.MustCompile(`(?i)<script[^>]*>`).FindAllString(string(body), -1) {
				if !strings.Contains(tag, "src=") {
					t.Errorf("%s has an inline script: %s", name, tag)
				}
			}
			if m := inline.FindString(string(body)); m != "" {
				t.Errorf("%s needs something the policy forbids: %q", name, m)
			}
			fallthrough
		case ".js", ".css":
			if m := external.FindString(string(body)); m != "" {
				t.Errorf("%s loads from another site: %q", name, m)
			}
			if path.Ext(name) == ".js" && regexp.MustCompile(`\beval\s*\(|new\s+Function\s*\(|\.innerHTML\s*=`).Match(body) {
				t.Errorf("%s uses eval, new Function or innerHTML", name)
			}
		}
	}
}
