// Package cors is S3 bucket CORS configuration: the rules a bucket owner
// sets (AWS's CORSConfiguration), their validation with AWS's limits and
// error kinds, their stored form, and how a cross-origin request is matched
// against them. A preflight (OPTIONS) request is answered from the first
// rule that allows its origin, method and headers; an actual request that
// carries an Origin gets the Access-Control-* headers of the first rule
// that allows its origin and method.
package cors

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrNoConfig is returned when a bucket has no CORS configuration (S3
// NoSuchCORSConfiguration).
var ErrNoConfig = errors.New("the CORS configuration does not exist")

// Kinds of configuration fault, matched with errors.Is; each is the S3 error
// code AWS answers such a fault with. Validate returns a *ValidationError of
// one of them, phrased for the client that sent the configuration.
var (
	// ErrMalformed: the configuration breaks the schema (MalformedXML): no
	// rules or too many, a rule without an origin or a method.
	ErrMalformed = errors.New("malformed CORS configuration")
	// ErrInvalidRequest: a value S3 refuses (InvalidRequest): a method
	// other than GET, PUT, POST, DELETE and HEAD, an origin with two
	// wildcards, a header name with characters a header cannot have.
	ErrInvalidRequest = errors.New("invalid CORS request")
	// ErrInvalidArgument: a value out of range (InvalidArgument): an ID
	// longer than 255 characters, a negative MaxAgeSeconds.
	ErrInvalidArgument = errors.New("invalid CORS argument")
)

// ValidationError is what is wrong with a configuration. Kind is one of
// ErrMalformed, ErrInvalidRequest and ErrInvalidArgument.
type ValidationError struct {
	Kind    error
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

// Unwrap returns the kind, so errors.Is(err, ErrInvalidRequest) works.
func (e *ValidationError) Unwrap() error { return e.Kind }

func fault(kind error, format string, args ...any) *ValidationError {
	return &ValidationError{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Limits of a CORS configuration, as AWS sets them.
const (
	MaxRules        = 100
	MaxRuleIDLength = 255
)

// Config is a bucket's CORS configuration: its rules, in order.
type Config struct {
	Rules []Rule
}

// Rule is one CORSRule. Values are kept as sent (cases included) and given
// back in order.
type Rule struct {
	ID             string
	AllowedMethods []string
	AllowedOrigins []string
	AllowedHeaders []string
	ExposeHeaders  []string
	// MaxAgeSeconds is nil when the rule sets none.
	MaxAgeSeconds *int
}

// Methods are the methods a rule may allow, as S3 spells them (the names
// are case-sensitive: "get" is refused).
var Methods = []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead}

// IsMethod reports whether m is one of Methods.
func IsMethod(m string) bool {
	for _, allowed := range Methods {
		if m == allowed {
			return true
		}
	}
	return false
}

// Validate checks c against AWS's schema and limits.
func (c *Config) Validate() error {
	if c == nil || len(c.Rules) == 0 {
		return fault(ErrMalformed, "A CORS configuration must have at least one CORSRule.")
	}
	if len(c.Rules) > MaxRules {
		return fault(ErrMalformed, "A CORS configuration can have at most %d rules; it has %d.", MaxRules, len(c.Rules))
	}
	for i := range c.Rules {
		if err := c.Rules[i].validate(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) validate() error {
	if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 {
		return fault(ErrMalformed, "A CORSRule must have at least one AllowedOrigin and one AllowedMethod.")
	}
	if len(r.ID) > MaxRuleIDLength {
		return fault(ErrInvalidArgument, "The ID of a CORSRule cannot be longer than %d characters.", MaxRuleIDLength)
	}
	for _, m := range r.AllowedMethods {
		if !IsMethod(m) {
			return fault(ErrInvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
		}
	}
	for _, o := range r.AllowedOrigins {
		if strings.Count(o, "*") > 1 {
			return fault(ErrInvalidRequest, "AllowedOrigin %q can not have more than one wildcard.", o)
		}
	}
	for _, h := range r.AllowedHeaders {
		if !isHeaderPattern(h) {
			return fault(ErrInvalidRequest, "AllowedHeader %q contains invalid character.", h)
		}
	}
	for _, h := range r.ExposeHeaders {
		if !isHeaderPattern(h) {
			return fault(ErrInvalidRequest, "ExposeHeader %q contains invalid character.", h)
		}
	}
	if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
		return fault(ErrInvalidArgument, "MaxAgeSeconds must not be negative.")
	}
	return nil
}

// isHeaderPattern reports whether s is a header name (an HTTP token), in
// which '*' is also the wildcard of an AllowedHeader.
func isHeaderPattern(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	out := &Config{Rules: make([]Rule, len(c.Rules))}
	for i, r := range c.Rules {
		out.Rules[i] = Rule{
			ID:             r.ID,
			AllowedMethods: append([]string(nil), r.AllowedMethods...),
			AllowedOrigins: append([]string(nil), r.AllowedOrigins...),
			AllowedHeaders: append([]string(nil), r.AllowedHeaders...),
			ExposeHeaders:  append([]string(nil), r.ExposeHeaders...),
		}
		if r.MaxAgeSeconds != nil {
			age := *r.MaxAgeSeconds
			out.Rules[i].MaxAgeSeconds = &age
		}
	}
	return out
}
