package mapi

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// tokenIssuer is the iss claim of every token Quarry signs.
const tokenIssuer = "quarry"

// Token kinds (the typ claim). A refresh token is never accepted as a
// bearer token, nor an access token as a refresh grant.
const (
	typAccess  = "access"
	typRefresh = "refresh"
)

// claims are the claims of a Quarry bearer or refresh token.
type claims struct {
	PreferredUsername string    `json:"preferred_username"`
	Role              meta.Role `json:"role"`
	Typ               string    `json:"typ"`
	Azp               string    `json:"azp"`
	// Sid names the login (refresh token family) the token belongs to, as
	// OpenID Connect's session id; Gen is a refresh token's generation in
	// it. Only the family's current generation is accepted.
	Sid string `json:"sid,omitempty"`
	Gen int64  `json:"gen,omitempty"`
	jwt.RegisteredClaims
}

// tokenPair is what the token endpoint answers.
type tokenPair struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

// issueTokens signs an access token for u, on behalf of the OAuth client
// clientID, and the refresh token of family f's current generation.
func (h *Handler) issueTokens(u auth.Principal, clientID string, f *meta.RefreshFamily, now time.Time) (tokenPair, error) {
	access, err := h.sign(claims{Typ: typAccess, Sid: f.ID}, u, clientID, now, now.Add(h.cfg.AccessTTL))
	if err != nil {
		return tokenPair{}, err
	}
	refresh, err := h.sign(claims{Typ: typRefresh, Sid: f.ID, Gen: f.Generation}, u, clientID, now, f.ExpiresAt)
	if err != nil {
		return tokenPair{}, err
	}
	return tokenPair{
		AccessToken:      access,
		TokenType:        "Bearer",
		ExpiresIn:        int64(h.cfg.AccessTTL / time.Second),
		RefreshToken:     refresh,
		RefreshExpiresIn: int64(h.cfg.RefreshTTL / time.Second),
	}, nil
}

// sign completes c (its Typ, Sid and Gen set) with u, clientID and the
// times, and signs it.
func (h *Handler) sign(c claims, u auth.Principal, clientID string, now, expires time.Time) (string, error) {
	c.PreferredUsername = u.Username
	c.Role = u.Role
	c.Azp = clientID
	c.RegisteredClaims = jwt.RegisteredClaims{
		Issuer:    tokenIssuer,
		Subject:   strconv.FormatInt(u.UserID, 10),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(expires),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(h.cfg.Keys.Token)
	if err != nil {
		return "", fmt.Errorf("sign %s token for user %d: %w", c.Typ, u.UserID, err)
	}
	return s, nil
}

// errTokenExpired and errTokenInvalid tell a client why its token was
// refused (in the 401's details); they reveal nothing about the keys.
var (
	errTokenExpired = errors.New("token expired")
	errTokenInvalid = errors.New("token invalid")
)

// verifyToken checks a token's signature, issuer, expiry and kind, and
// returns the user id it was issued to and its claims.
func (h *Handler) verifyToken(token, typ string) (int64, *claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return h.cfg.Keys.Token, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(h.cfg.Now),
	)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return 0, nil, errTokenExpired
	}
	if err != nil || c.Typ != typ {
		return 0, nil, errTokenInvalid
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return 0, nil, errTokenInvalid
	}
	return id, &c, nil
}
