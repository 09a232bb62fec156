package cors

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func intp(n int) *int { return &n }

func TestValidate(t *testing.T) {
	ok := Rule{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET"}}
	with := func(f func(r *Rule)) *Config {
		r := ok
		f(&r)
		return &Config{Rules: []Rule{r}}
	}
	many := &Config{}
	for range MaxRules + 1 {
		many.Rules = append(many.Rules, ok)
	}
	tests := []struct {
		name string
		cfg  *Config
		kind error
		msg  string
	}{
		{"a rule with an origin and a method is valid", with(func(*Rule) {}), nil, ""},
		{"every method S3 allows is valid", with(func(r *Rule) { r.AllowedMethods = Methods }), nil, ""},
		{"an origin with one wildcard is valid", with(func(r *Rule) { r.AllowedOrigins = []string{"https://*.example.com"} }), nil, ""},
		{"an empty origin is valid, as on S3", with(func(r *Rule) { r.AllowedOrigins = []string{""} }), nil, ""},
		{"header patterns with wildcards are valid", with(func(r *Rule) { r.AllowedHeaders = []string{"*", "x-amz-*", "Content-Type"} }), nil, ""},
		{"a rule ID of 255 characters is valid", with(func(r *Rule) { r.ID = strings.Repeat("i", 255) }), nil, ""},
		{"100 rules are valid", &Config{Rules: many.Rules[:MaxRules]}, nil, ""},
		{"no rules are malformed", &Config{}, ErrMalformed, ""},
		{"a nil configuration is malformed", nil, ErrMalformed, ""},
		{"101 rules are malformed", many, ErrMalformed, ""},
		{"a rule without an origin is malformed", with(func(r *Rule) { r.AllowedOrigins = nil }), ErrMalformed, ""},
		{"a rule without a method is malformed", with(func(r *Rule) { r.AllowedMethods = nil }), ErrMalformed, ""},
		{"PATCH is an unsupported method", with(func(r *Rule) { r.AllowedMethods = []string{"GET", "PATCH"} }), ErrInvalidRequest,
			"Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
		{"methods are case-sensitive", with(func(r *Rule) { r.AllowedMethods = []string{"get"} }), ErrInvalidRequest,
			"Found unsupported HTTP method in CORS config. Unsupported method is get"},
		{"OPTIONS is an unsupported method", with(func(r *Rule) { r.AllowedMethods = []string{"OPTIONS"} }), ErrInvalidRequest, ""},
		{"an empty method is an unsupported method", with(func(r *Rule) { r.AllowedMethods = []string{""} }), ErrInvalidRequest, ""},
		{"an origin with two wildcards is refused", with(func(r *Rule) { r.AllowedOrigins = []string{"*example*.com"} }), ErrInvalidRequest,
			`AllowedOrigin "*example*.com" can not have more than one wildcard.`},
		{"a header with a space is refused", with(func(r *Rule) { r.AllowedHeaders = []string{"invalid header"} }), ErrInvalidRequest,
			`AllowedHeader "invalid header" contains invalid character.`},
		{"a header with a colon is refused", with(func(r *Rule) { r.AllowedHeaders = []string{"X-Custom:Header"} }), ErrInvalidRequest, ""},
		{"an expose header with a slash is refused", with(func(r *Rule) { r.ExposeHeaders = []string{"Bad/Header"} }), ErrInvalidRequest, ""},
		{"a rule ID of 256 characters is refused", with(func(r *Rule) { r.ID = strings.Repeat("i", 256) }), ErrInvalidArgument, ""},
		{"a negative max age is refused", with(func(r *Rule) { r.MaxAgeSeconds = intp(-1) }), ErrInvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, tt.kind) {
				t.Fatalf("Validate = %v, want a %v", err, tt.kind)
			}
			if tt.msg != "" && ve.Message != tt.msg {
				t.Errorf("message %q, want %q", ve.Message, tt.msg)
			}
		})
	}
}

func TestPreflightMatching(t *testing.T) {
	cfg := &Config{Rules: []Rule{
		{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"Content-Type", "x-amz-*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: intp(3000)},
		{AllowedOrigins: []string{"http://*.example.org"}, AllowedMethods: []string{"DELETE"}},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}},
	}}
	tests := []struct {
		name    string
		origin  string
		method  string
		headers []string
		want    *Allowance
	}{
		{"the first rule answers its origin, with credentials, the rule's methods and the requested headers lowercase",
			"https://app.example.com", "PUT", []string{"Content-Type", "X-Amz-Date"},
			&Allowance{Origin: "https://app.example.com", Credentials: true, Methods: []string{"GET", "PUT"},
				Headers: []string{"content-type", "x-amz-date"}, Expose: []string{"ETag"}, MaxAge: intp(3000)}},
		{"a requested header no rule allows matches no rule for PUT",
			"https://app.example.com", "PUT", []string{"Authorization"}, nil},
		{"a GET without requested headers is answered by the first rule that allows it",
			"https://app.example.com", "GET", nil,
			&Allowance{Origin: "https://app.example.com", Credentials: true, Methods: []string{"GET", "PUT"},
				Expose: []string{"ETag"}, MaxAge: intp(3000)}},
		{"an origin wildcard matches a subdomain", "http://www.example.org", "DELETE", nil,
			&Allowance{Origin: "http://www.example.org", Credentials: true, Methods: []string{"DELETE"}}},
		{"an origin wildcard does not match another scheme", "https://www.example.org", "DELETE", nil, nil},
		{"an origin is anchored at its end", "http://www.example.org.evil.com", "DELETE", nil, nil},
		{"the everyone rule answers with * and without credentials", "http://random:1234", "GET", nil,
			&Allowance{Origin: "*", Methods: []string{"GET"}}},
		{"the everyone rule allows only its methods", "http://random:1234", "PUT", nil, nil},
		{"a rule without AllowedHeaders allows no requested header", "http://random:1234", "GET", []string{"x-custom"}, nil},
		{"an origin with a trailing slash is another origin", "https://app.example.com/", "PUT", nil, nil},
		{"methods compare with their case", "https://app.example.com", "put", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cfg.Preflight(tt.origin, tt.method, tt.headers)
			if (tt.want != nil) != ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Preflight = %+v, %v; want %+v", got, ok, tt.want)
			}
		})
	}
}

func TestActualRequestsIgnoreHeaders(t *testing.T) {
	cfg := &Config{Rules: []Rule{{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"PUT"}}}}
	got, ok := cfg.Actual("https://app.example.com", "PUT")
	if !ok || got.Origin != "https://app.example.com" || !got.Credentials || got.Headers != nil {
		t.Errorf("Actual = %+v, %v", got, ok)
	}
	if _, ok := cfg.Actual("https://app.example.com", "GET"); ok {
		t.Error("Actual matched a method the rule does not allow")
	}
	var none *Config
	if _, ok := none.Actual("https://app.example.com", "PUT"); ok {
		t.Error("a nil configuration matched")
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*suffix", "foo.suffix", true},
		{"*suffix", "suffix", true},
		{"*suffix", "foo.suffix.get", false},
		{"start*end", "startend", true},
		{"start*end", "start12end", true},
		{"start*end", "0start12end", false},
		{"prefix*", "prefix.suffix", true},
		{"prefix*", "bla.prefix", false},
		{"x-amz-*", "x-amz-meta-a", true},
		{"*", "", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestParseRequestHeaders(t *testing.T) {
	got, err := ParseRequestHeaders("content-type,x-amz-date, X-Amz-Meta-A")
	if err != nil || !reflect.DeepEqual(got, []string{"content-type", "x-amz-date", "X-Amz-Meta-A"}) {
		t.Errorf("ParseRequestHeaders = %q, %v", got, err)
	}
	if got, err := ParseRequestHeaders(""); err != nil || got != nil {
		t.Errorf("empty: %q, %v", got, err)
	}
	for _, bad := range []string{"a,,b", "x custom", "X-Custom:Header", "x-*"} {
		var he *RequestHeaderError
		if _, err := ParseRequestHeaders(bad); !errors.As(err, &he) {
			t.Errorf("ParseRequestHeaders(%q) = %v, want a RequestHeaderError", bad, err)
		}
	}
}

func TestStoredFormRoundTrips(t *testing.T) {
	cfg := &Config{Rules: []Rule{
		{ID: "r1", AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"},
			AllowedHeaders: []string{"X-Amz-*"}, ExposeHeaders: []string{"ETag", "x-amz-request-id"}, MaxAgeSeconds: intp(0)},
		{AllowedOrigins: []string{"https://a", "https://b"}, AllowedMethods: []string{"PUT"}},
	}}
	got, err := DecodeConfig(cfg.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("round trip = %+v, want %+v", got, cfg)
	}
	if clone := cfg.Clone(); !reflect.DeepEqual(clone, cfg) || &clone.Rules[0].AllowedMethods[0] == &cfg.Rules[0].AllowedMethods[0] {
		t.Errorf("Clone shares or differs: %+v", clone)
	}
}
