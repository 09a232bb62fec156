package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// Password length limits in bytes. bcrypt ignores everything after byte 72,
// so longer passwords are refused rather than silently truncated.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// bcryptCost is the work factor: about 50-100 ms per check on a server core.
const bcryptCost = 10

// ValidatePassword reports ErrInvalidPassword when p breaks the length rule.
func ValidatePassword(p string) error {
	if len(p) < MinPasswordLen || len(p) > MaxPasswordLen {
		return fmt.Errorf("%w: must be %d to %d bytes", ErrInvalidPassword, MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// HashPassword validates p and returns its bcrypt hash.
func HashPassword(p string) (string, error) {
	if err := ValidatePassword(p); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(p), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether p matches hash. A malformed hash is an
// error, not a mismatch, so that it is noticed.
func CheckPassword(hash, p string) (bool, error) {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(p))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("auth: check password: %w", err)
	}
}
