package object

import (
	"strings"
	"testing"
)

func TestBucketNames(t *testing.T) {
	tests := []struct {
		name  string
		valid bool
	}{
		{"abc", true},
		{"my-bucket.example-1", true},
		{strings.Repeat("a", 63), true},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"Upper", false},
		{"under_score", false},
		{"-starts-with-dash", false},
		{"ends-with-dot.", false},
		{"two..dots", false},
		{"192.168.5.4", false},
		{"1.2.3", true},
		{"xn--punycode", false},
		{"name-s3alias", false},
		{"name--ol-s3", false},
		{"sthree-name", false},
		{"name--x-s3", false},
	}
	for _, tt := range tests {
		err := validateBucketName(tt.name)
		if (err == nil) != tt.valid {
			t.Errorf("bucket name %q: got error %v, want valid=%v", tt.name, err, tt.valid)
		}
		if err != nil {
			wantErr(t, err, ErrInvalidBucketName)
		}
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want error
	}{
		{"an ordinary key is valid", "photos/2024/cat.jpg", nil},
		{"a path-like key is just a key", "../../etc/passwd", nil},
		{"a key of 1024 bytes is valid", strings.Repeat("k", 1024), nil},
		{"a key of 1025 bytes is too long", strings.Repeat("k", 1025), ErrKeyTooLong},
		{"an empty key is invalid", "", ErrInvalidKey},
		{"a NUL byte is invalid", "a\x00b", ErrInvalidKey},
		{"invalid UTF-8 is invalid", "a\xffb", ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateKey(tt.key)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			wantErr(t, err, tt.want)
		})
	}
}

func TestTags(t *testing.T) {
	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[strings.Repeat("k", i+1)] = "v"
		}
		return m
	}
	tests := []struct {
		name  string
		tags  map[string]string
		max   int
		valid bool
	}{
		{"ten object tags are allowed", many(10), maxObjectTags, true},
		{"eleven object tags are too many", many(11), maxObjectTags, false},
		{"fifty bucket tags are allowed", many(50), maxBucketTags, true},
		{"an empty key is invalid", map[string]string{"": "v"}, maxObjectTags, false},
		{"a 128-character key is allowed", map[string]string{strings.Repeat("é", 128): ""}, maxObjectTags, true},
		{"a 129-character key is too long", map[string]string{strings.Repeat("k", 129): ""}, maxObjectTags, false},
		{"a 256-character value is allowed", map[string]string{"k": strings.Repeat("é", 256)}, maxObjectTags, true},
		{"a 257-character value is too long", map[string]string{"k": strings.Repeat("v", 257)}, maxObjectTags, false},
		{"the aws: prefix is reserved", map[string]string{"aws:x": "v"}, maxObjectTags, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateTags(tt.tags, tt.max)
			if (err == nil) != tt.valid {
				t.Fatalf("got %v, want valid=%v", err, tt.valid)
			}
			if err != nil {
				wantErr(t, err, ErrInvalidTag)
			}
		})
	}
}
