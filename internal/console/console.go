// Package console serves Quarry's web console: static files embedded in the
// binary and loaded by the browser from the management listener. The
// console has no server side of its own: its scripts call the public MAPI
// (token endpoint, CSRF cookie, JSON POSTs) as every other client does, and
// reach object data over S3 with URLs the MAPI presigns. This package only
// hands out the files, with headers that keep the page from being framed,
// sniffed or made to run any script but its own.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// static holds the console's files; index.html is its one page.
//
//go:embed static
var static embed.FS

// Prefix is where the console's files are served; the page itself is also
// served at "/".
const Prefix = "/console/"

// Config configures a Handler.
type Config struct {
	// S3Origin returns the origin (scheme://host[:port]) of the S3
	// endpoint that the browser which sent r reaches, the one presigned
	// URLs name: the page's Content-Security-Policy lets its scripts
	// connect there and nowhere else but the MAPI. Nil or "": the MAPI
	// only.
	S3Origin func(r *http.Request) string
}

// file is one embedded file, ready to serve.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the console.
type Handler struct {
	cfg   Config
	files map[string]file // by path under static/, "index.html"
}

// contentTypes are the types of the files the console ships; a file of
// another kind is not served (the test keeps static/ within these).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// New returns a Handler. It panics if the embedded files cannot be read,
// which would be a broken build.
func New(cfg Config) *Handler {
	h := &Handler{cfg: cfg, files: make(map[string]file)}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h.files[strings.TrimPrefix(p, "static/")] = file{body: body, contentType: ct,
			etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("console: read embedded files: %v", err))
	}
	if _, ok := h.files["index.html"]; !ok {
		panic("console: static/index.html is missing")
	}
	return h
}

// Files lists the served file paths (under Prefix), for tests.
func (h *Handler) Files() []string {
	out := make([]string, 0, len(h.files))
	for p := range h.files {
		out = append(out, p)
	}
	return out
}

// ServeHTTP serves "/" and Prefix (the page) and Prefix+file. Every answer,
// a 404 too, carries the security headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.setSecurityHeaders(w.Header(), r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := ""
	switch {
	case r.URL.Path == "/" || r.URL.Path == Prefix:
		name = "index.html"
	case strings.HasPrefix(r.URL.Path, Prefix):
		name = strings.TrimPrefix(r.URL.Path, Prefix)
	}
	f, ok := h.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("ETag", f.etag)
	// Revalidate every time: a new binary must bring new files at once,
	// and an unchanged file costs a 304.
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}

// setSecurityHeaders sets the page's policy: scripts, styles and images
// from the console itself only (no inline script, no eval, no CDN),
// connections to the MAPI and the S3 endpoint only, forms posting back
// only, and never in a frame (frame-ancestors, and X-Frame-Options for
// browsers that predate it).
func (h *Handler) setSecurityHeaders(hdr http.Header, r *http.Request) {
	connect := "'self'"
	if h.cfg.S3Origin != nil {
		if o := h.cfg.S3Origin(r); o != "" && isOrigin(o) {
			connect += " " + o
		}
	}
	hdr.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' data:; connect-src "+connect+"; form-action 'self'; "+
		"frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	// Nothing of the console's URLs should travel to other sites.
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// isOrigin says whether o is a plain scheme://host[:port], safe to put in
// the policy (no spaces, semicolons or quotes that would change it).
func isOrigin(o string) bool {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || (scheme != "http" && scheme != "https") || rest == "" {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}
