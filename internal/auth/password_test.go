package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name     string
		password string
		ok       bool
	}{
		{"an empty password is refused", "", false},
		{"seven bytes are too few", "1234567", false},
		{"eight bytes are enough", "12345678", true},
		{"72 bytes are the most bcrypt reads", strings.Repeat("x", 72), true},
		{"73 bytes would be silently truncated, so are refused", strings.Repeat("x", 73), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePassword(tc.password)
			if tc.ok != (err == nil) {
				t.Fatalf("ValidatePassword = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidPassword) {
				t.Fatalf("err = %v, want ErrInvalidPassword", err)
			}
		})
	}
}

func TestHashedPasswordsCheckOnlyAgainstTheOriginal(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if strings.Contains(h, "correct horse") || !strings.HasPrefix(h, "$2a$10$") {
		t.Fatalf("hash %q is not a cost-10 bcrypt hash", h)
	}
	if ok, err := CheckPassword(h, "correct horse"); !ok || err != nil {
		t.Errorf("right password: %v, %v; want true", ok, err)
	}
	if ok, err := CheckPassword(h, "wrong horse"); ok || err != nil {
		t.Errorf("wrong password: %v, %v; want false, nil", ok, err)
	}
	if _, err := CheckPassword("not a hash", "x"); err == nil {
		t.Error("a malformed hash gave no error")
	}
	if _, err := HashPassword("short"); !errors.Is(err, ErrInvalidPassword) {
		t.Errorf("HashPassword(short): err = %v, want ErrInvalidPassword", err)
	}
}

func TestDummyHashIsAValidCost10Hash(t *testing.T) {
	if ok, err := CheckPassword(dummyHash, "anything"); ok || err != nil {
		t.Fatalf("CheckPassword(dummyHash) = %v, %v; want false, nil", ok, err)
	}
}
