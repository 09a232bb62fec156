package cors

import (
	"fmt"
	"strings"
)

// Allowance is what the matching rule lets a cross-origin request do: the
// values of the Access-Control-* response headers.
type Allowance struct {
	// Origin is Access-Control-Allow-Origin: "*" for a rule that allows
	// every origin with "*", else the request's origin.
	Origin string
	// Credentials is Access-Control-Allow-Credentials: true, sent with an
	// echoed origin (never with "*", which browsers refuse with
	// credentials).
	Credentials bool
	// Methods are the rule's AllowedMethods (Access-Control-Allow-Methods).
	Methods []string
	// Headers are the requested headers, lowercase, in the order
	// requested (Access-Control-Allow-Headers; preflight only).
	Headers []string
	// Expose are the rule's ExposeHeaders (Access-Control-Expose-Headers).
	Expose []string
	// MaxAge is the rule's MaxAgeSeconds (Access-Control-Max-Age), nil
	// when it sets none.
	MaxAge *int
}

// Preflight matches a preflight request: the first rule that allows
// origin, method (its Access-Control-Request-Method) and every one of the
// requested headers answers it. ok is false when no rule does.
func (c *Config) Preflight(origin, method string, headers []string) (a *Allowance, ok bool) {
	return c.match(origin, method, headers, true)
}

// Actual matches an actual request that carries an Origin: the first rule
// that allows origin and method answers it. Its headers are not checked:
// a browser sends only what a preflight allowed.
func (c *Config) Actual(origin, method string) (a *Allowance, ok bool) {
	return c.match(origin, method, nil, false)
}

func (c *Config) match(origin, method string, headers []string, preflight bool) (*Allowance, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		matched, everyOrigin := r.matchOrigin(origin)
		if !matched || !contains(r.AllowedMethods, method) || !r.allowsHeaders(headers) {
			continue
		}
		a := &Allowance{
			Origin:      origin,
			Credentials: !everyOrigin,
			Methods:     r.AllowedMethods,
			Expose:      r.ExposeHeaders,
			MaxAge:      r.MaxAgeSeconds,
		}
		if everyOrigin {
			a.Origin = "*"
		}
		if preflight {
			for _, h := range headers {
				a.Headers = append(a.Headers, strings.ToLower(h))
			}
		}
		return a, true
	}
	return nil, false
}

// matchOrigin reports whether the rule allows origin, and whether it did so
// by allowing every origin ("*").
func (r *Rule) matchOrigin(origin string) (matched, everyOrigin bool) {
	for _, o := range r.AllowedOrigins {
		if o == "*" {
			return true, true
		}
		if wildcardMatch(o, origin) {
			return true, false
		}
	}
	return false, false
}

// allowsHeaders reports whether every requested header matches one of the
// rule's AllowedHeaders. Header names compare without regard to case.
func (r *Rule) allowsHeaders(headers []string) bool {
	for _, h := range headers {
		found := false
		for _, pattern := range r.AllowedHeaders {
			if wildcardMatch(strings.ToLower(pattern), strings.ToLower(h)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// wildcardMatch reports whether s matches pattern, in which each '*'
// stands for any run of characters, the empty one included. The pattern is
// anchored at both ends: "http://*.example.com" matches
// "http://www.example.com", not "http://www.example.com.evil".
func wildcardMatch(pattern, s string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == s
	}
	prefix, rest := pattern[:star], pattern[star+1:]
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	s = s[len(prefix):]
	// The '*' takes as little as it needs, more on each retry.
	for i := 0; i <= len(s); i++ {
		if wildcardMatch(rest, s[i:]) {
			return true
		}
	}
	return false
}

// RequestHeaderError is an Access-Control-Request-Headers entry that is not
// a header name (S3 answers BadRequest).
type RequestHeaderError struct {
	Header string
}

func (e *RequestHeaderError) Error() string {
	return fmt.Sprintf("Access-Control-Request-Headers %q contains invalid character.", e.Header)
}

// ParseRequestHeaders reads an Access-Control-Request-Headers value: names
// separated by commas and optional spaces.
func ParseRequestHeaders(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		name := strings.TrimSpace(part)
		if !isHeaderPattern(name) || strings.Contains(name, "*") {
			return nil, &RequestHeaderError{Header: part}
		}
		out = append(out, name)
	}
	return out, nil
}
