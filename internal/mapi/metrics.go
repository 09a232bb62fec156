package mapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Metrics tokens let Prometheus scrape /metrics without a password. An
// admin makes one with metrics/token; it is signed like an access token
// but of its own kind (typ "metrics"), so it is good for /metrics and
// refused everywhere else. It names the admin who made it and carries the
// metrics token generation of the moment: metrics/revoke_tokens bumps the
// generation, which revokes every metrics token made before. A token also
// stops working when its admin is deleted or is no longer an admin.
// Checking the generation and the admin costs one read of the metadata
// store per scrape.

const (
	typMetrics = "metrics"
	// settingMetricsGeneration holds the current generation, a decimal
	// number; absent is 0.
	settingMetricsGeneration = "mapi.metrics_token_generation"
)

// Bounds of a metrics token's lifetime.
const (
	DefaultMetricsTokenTTL = 365 * 24 * time.Hour
	MinMetricsTokenTTL     = time.Minute
	MaxMetricsTokenTTL     = 10 * 365 * 24 * time.Hour
)

// metricsClaims are the claims of a metrics token.
type metricsClaims struct {
	PreferredUsername string `json:"preferred_username"`
	Typ               string `json:"typ"`
	Generation        int64  `json:"gen"`
	jwt.RegisteredClaims
}

type metricsTokenRequest struct {
	// LifetimeSeconds is how long the token is good for; 0 or absent:
	// DefaultMetricsTokenTTL.
	LifetimeSeconds int64 `json:"lifetimeSeconds"`
}

type metricsTokenResponse struct {
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	ExpiresIn int64  `json:"expiresIn"`
	ExpiresAt string `json:"expiresAt"`
}

// createMetricsToken signs a metrics token for the calling admin.
func (h *Handler) createMetricsToken(ctx context.Context, c *call) (any, error) {
	var req metricsTokenRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	ttl := DefaultMetricsTokenTTL
	if req.LifetimeSeconds != 0 {
		lowest, highest := int64(MinMetricsTokenTTL/time.Second), int64(MaxMetricsTokenTTL/time.Second)
		if req.LifetimeSeconds < lowest || req.LifetimeSeconds > highest {
			return nil, invalid("lifetimeSeconds must be between %d and %d", lowest, highest)
		}
		ttl = time.Duration(req.LifetimeSeconds) * time.Second
	}
	gen, err := h.metricsGeneration(ctx)
	if err != nil {
		return nil, err
	}
	now := h.cfg.Now()
	claims := metricsClaims{
		PreferredUsername: c.p.Username,
		Typ:               typMetrics,
		Generation:        gen,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   strconv.FormatInt(c.p.UserID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(h.cfg.Keys.Token)
	if err != nil {
		return nil, fmt.Errorf("sign metrics token for user %d: %w", c.p.UserID, err)
	}
	h.cfg.Logger.Info("metrics token created", "user", c.p.Username, "expires", rfc3339(now.Add(ttl)), "generation", gen)
	return metricsTokenResponse{Token: token, TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second), ExpiresAt: rfc3339(now.Add(ttl))}, nil
}

// revokeMetricsTokens bumps the generation: every metrics token made so
// far stops working.
func (h *Handler) revokeMetricsTokens(ctx context.Context, c *call) (any, error) {
	if err := decodeJSON(c.body, &struct{}{}); err != nil {
		return nil, err
	}
	var gen int64
	err := h.cfg.Settings.Update(ctx, func(tx meta.Tx) error {
		var err error
		if gen, err = readGeneration(tx); err != nil {
			return err
		}
		gen++
		return tx.PutSetting(settingMetricsGeneration, strconv.FormatInt(gen, 10))
	})
	if err != nil {
		return nil, fmt.Errorf("revoke metrics tokens: %w", err)
	}
	h.cfg.Logger.Info("metrics tokens revoked", "user", c.p.Username, "generation", gen)
	return struct{}{}, nil
}

func (h *Handler) metricsGeneration(ctx context.Context) (int64, error) {
	var gen int64
	err := h.cfg.Settings.View(ctx, func(tx meta.Tx) error {
		var err error
		gen, err = readGeneration(tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read metrics token generation: %w", err)
	}
	return gen, nil
}

func readGeneration(tx meta.SettingTx) (int64, error) {
	v, err := tx.GetSetting(settingMetricsGeneration)
	if errors.Is(err, meta.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	gen, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("setting %s = %q: %w", settingMetricsGeneration, v, err)
	}
	return gen, nil
}

// AuthorizeMetrics guards next (the Prometheus handler) with a bearer
// token: a metrics token of the current generation, or an access token,
// either of a user who is an admin now. A request without a valid token is
// answered 401 with WWW-Authenticate: Bearer; a valid token of a user who
// is not an admin, 403.
func (h *Handler) AuthorizeMetrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.authenticateMetrics(r)
		if err == nil && !p.Admin() {
			err = forbidden("only an administrator's token may read metrics")
		}
		if err != nil {
			reqID, acc := newRequestID(), &accessEntry{}
			r = r.WithContext(withAccess(r.Context(), acc))
			rec := &statusRecorder{ResponseWriter: w}
			h.fail(rec, r, reqID, err)
			h.logAccess(r, reqID, "metrics", rec.statusCode(), acc)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticateMetrics returns the user a metrics or access token speaks
// for, as the user is now.
func (h *Handler) authenticateMetrics(r *http.Request) (auth.Principal, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return auth.Principal{}, unauthorized("missing bearer token")
	}
	var c metricsClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return h.cfg.Keys.Token, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(h.cfg.Now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return auth.Principal{}, unauthorized(errTokenExpired.Error())
	case err != nil, c.Typ == typMetrics && h.cfg.Settings == nil:
		return auth.Principal{}, unauthorized(errTokenInvalid.Error())
	case c.Typ != typMetrics:
		return h.authenticate(r) // an access token, or a refresh token it refuses
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return auth.Principal{}, unauthorized(errTokenInvalid.Error())
	}
	gen, err := h.metricsGeneration(r.Context())
	if err != nil {
		return auth.Principal{}, err
	}
	if c.Generation != gen {
		return auth.Principal{}, unauthorized("metrics token revoked")
	}
	return h.principalOf(r.Context(), id)
}
