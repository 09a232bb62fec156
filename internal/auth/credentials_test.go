package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestValidateUsername(t *testing.T) {
	tests := []struct {
		name, username string
		ok             bool
	}{
		{"a plain name is fine", "alice", true},
		{"an email-like name is fine", "alice.smith-2@example.com", true},
		{"underscores are fine", "svc_backup", true},
		{"an empty name is refused", "", false},
		{"64 characters are fine", strings.Repeat("a", 64), true},
		{"65 characters are too many", strings.Repeat("a", 65), false},
		{"spaces are refused", "alice smith", false},
		{"slashes are refused", "a/b", false},
		{"non-ASCII letters are refused", "zoë", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateUsername(tc.username)
			if tc.ok != (err == nil) {
				t.Fatalf("ValidateUsername(%q) = %v, want ok=%v", tc.username, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidUsername) {
				t.Fatalf("err = %v, want ErrInvalidUsername", err)
			}
		})
	}
}

func TestValidateAccessKey(t *testing.T) {
	tests := []struct {
		name, access, secret string
		ok                   bool
	}{
		{"an AWS-style pair is fine", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"a short configured pair is fine", "abc", "12345678", true},
		{"a 2-character access key is too short", "ab", "12345678", false},
		{"a 129-character access key is too long", strings.Repeat("A", 129), "12345678", false},
		{"a slash in the access key is refused", "AK/IA", "12345678", false},
		{"whitespace in the access key is refused", "AK IA", "12345678", false},
		{"a control character in the access key is refused", "AK\x01IA", "12345678", false},
		{"a 7-character secret is too short", "AKIA", "1234567", false},
		{"a 129-character secret is too long", "AKIA", strings.Repeat("s", 129), false},
		{"whitespace in the secret is refused", "AKIA", "1234 5678", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateAccessKey(tc.access, tc.secret)
			if tc.ok != (err == nil) {
				t.Fatalf("ValidateAccessKey = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidAccessKey) {
				t.Fatalf("err = %v, want ErrInvalidAccessKey", err)
			}
		})
	}
}

func TestGeneratedCredentialsHaveTheirFormats(t *testing.T) {
	tests := []struct {
		name string
		gen  func() (string, error)
		re   *regexp.Regexp
	}{
		{"access keys are 20 upper-case alphanumerics", newAccessKey, regexp.MustCompile(`^[A-Z0-9]{20}$`)},
		{"secret keys are 40 base64 characters", newSecretKey, regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)},
		{"passwords are 24 URL-safe characters", newPassword, regexp.MustCompile(`^[A-Za-z0-9_-]{24}$`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 50 {
				v, err := tc.gen()
				if err != nil {
					t.Fatal(err)
				}
				if !tc.re.MatchString(v) {
					t.Fatalf("generated %q, want %s", v, tc.re)
				}
				if seen[v] {
					t.Fatalf("generated %q twice", v)
				}
				seen[v] = true
			}
		})
	}
}
