package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// browserS3 says where a browser that loaded the console from the
// management listener reaches the S3 listener, and which origins the S3
// API lets call it from a page. The console (internal/console) is served
// by the management listener and reads and writes objects with URLs the
// MAPI presigns for the S3 listener: another port, so another origin.
//
// Without --s3-public-url a browser reaches S3 at the host name it loaded
// the console from, on the S3 listener's port, with the listeners' scheme:
// a console at http://quarry.example:9001 presigns for
// http://quarry.example:9000. The S3 API then lets the console's own origin
// (that host name, the management listener's port) make cross-origin
// requests, and any origin --console-origin names (a console behind a
// proxy). Browsers send no ambient credentials to S3 (every request is
// signed by its URL), so allowing the console's origin lets its scripts read
// answers they were already entitled to, and nothing more.
type browserS3 struct {
	fixed    *url.URL // --s3-public-url; nil: derived per request
	scheme   string
	s3Port   string
	mapiPort string
	origins  map[string]bool // --console-origin, normalised
}

// newBrowserS3 checks the flags; the ports are set once the listeners are
// bound (listening).
func newBrowserS3(publicURL string, consoleOrigins []string, tls bool) (*browserS3, error) {
	b := &browserS3{scheme: "http", origins: make(map[string]bool)}
	if tls {
		b.scheme = "https"
	}
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("--s3-public-url %q: want http(s)://HOST[:PORT] without path, query or credentials", publicURL)
		}
		b.fixed = &url.URL{Scheme: u.Scheme, Host: u.Host}
	}
	for _, o := range consoleOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("--console-origin %q: want http(s)://HOST[:PORT]", o)
		}
		b.origins[normalOrigin(u.Scheme, u.Host)] = true
	}
	return b, nil
}

// listening records the ports the listeners were bound to. It is called
// before any request is served.
func (b *browserS3) listening(s3, mapi net.Addr) {
	_, b.s3Port, _ = net.SplitHostPort(s3.String())
	_, b.mapiPort, _ = net.SplitHostPort(mapi.String())
}

// URL is the S3 endpoint for a console loaded from host (a Host header).
func (b *browserS3) URL(host string) *url.URL {
	if b.fixed != nil {
		u := *b.fixed
		return &u
	}
	return &url.URL{Scheme: b.scheme, Host: net.JoinHostPort(hostname(host), b.s3Port)}
}

// Origin is the S3 origin for the console page r asks for, for its
// Content-Security-Policy.
func (b *browserS3) Origin(r *http.Request) string {
	u := b.URL(r.Host)
	return normalOrigin(u.Scheme, u.Host)
}

// AllowsOrigin says whether the S3 API answers cross-origin requests from
// origin, sent to the S3 listener as host: the console's own origin or one
// --console-origin names.
func (b *browserS3) AllowsOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	o := normalOrigin(u.Scheme, u.Host)
	if b.origins[o] {
		return true
	}
	return b.mapiPort != "" && o == normalOrigin(b.scheme, net.JoinHostPort(hostname(host), b.mapiPort))
}

// hostname is host without its port (and IPv6 brackets kept off).
func hostname(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.Trim(host, "[]")
}

// normalOrigin writes an origin as browsers send it: lower case, without
// the scheme's default port.
func normalOrigin(scheme, host string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	if h, port, err := net.SplitHostPort(host); err == nil &&
		(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	return scheme + "://" + host
}
