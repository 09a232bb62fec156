// Package auth manages who may call Quarry: users with bcrypt passwords,
// S3 access keys whose secrets are sealed at rest, and the first-start
// bootstrap of the admin account. Principal is what a verified request
// carries.
package auth

import "errors"

// Sentinel errors, returned wrapped with context; test with errors.Is.
var (
	ErrInvalidUsername  = errors.New("auth: invalid username")
	ErrInvalidPassword  = errors.New("auth: invalid password")
	ErrInvalidAccessKey = errors.New("auth: invalid access key")
	ErrUserExists       = errors.New("auth: user already exists")
	ErrNoSuchUser       = errors.New("auth: no such user")
	ErrAccessKeyExists  = errors.New("auth: access key already exists")
	ErrNoSuchAccessKey  = errors.New("auth: no such access key")
	// ErrBadCredentials deliberately does not say whether the user or
	// the password was wrong.
	ErrBadCredentials = errors.New("auth: bad credentials")
	// ErrRefreshFamilyGone: the refresh token's login no longer exists (it
	// expired, its user was deleted, or a reuse revoked it).
	ErrRefreshFamilyGone = errors.New("auth: refresh token revoked or expired")
	// ErrRefreshTokenReused: a refresh token that was already rotated out
	// was presented again; its whole family has been revoked.
	ErrRefreshTokenReused = errors.New("auth: refresh token reused")
)
