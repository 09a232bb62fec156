package mapiclient

import (
	"context"
	"time"
)

// MetricsToken is a bearer token good for GET /metrics only.
type MetricsToken struct {
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	ExpiresIn int64  `json:"expiresIn"`
	ExpiresAt string `json:"expiresAt"`
}

// CreateMetricsToken makes a metrics token valid for lifetime (admin
// only); zero leaves the server's default (a year).
func (c *Client) CreateMetricsToken(ctx context.Context, lifetime time.Duration) (*MetricsToken, error) {
	var tok MetricsToken
	err := c.Call(ctx, "metrics/token", struct {
		LifetimeSeconds int64 `json:"lifetimeSeconds,omitempty"`
	}{int64(lifetime / time.Second)}, &tok)
	if err != nil {
		return nil, err
	}
	return &tok, nil
}

// RevokeMetricsTokens revokes every metrics token made so far (admin only).
func (c *Client) RevokeMetricsTokens(ctx context.Context) error {
	return c.Call(ctx, "metrics/revoke_tokens", nil, nil)
}
