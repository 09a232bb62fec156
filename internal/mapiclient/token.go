package mapiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tokenResponse is the OAuth 2.0 token endpoint's success body.
type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

// Login gets tokens with the password grant and saves a new session for
// username on the client's endpoint. A wrong password is an *APIError
// with Status 401 and Code "invalid_grant".
func (c *Client) Login(ctx context.Context, username, password string) error {
	form := url.Values{
		"grant_type": {"password"},
		"client_id":  {ClientID},
		"username":   {username},
		"password":   {password},
	}
	issued := c.now()
	tok, err := c.requestToken(ctx, form)
	if err != nil {
		return fmt.Errorf("log in as %s: %w", username, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.session = &Session{Endpoint: c.endpoint, Username: username, InsecureSkipVerify: c.insecure}
	applyToken(c.session, tok, issued)
	if err := c.withStoreLock(ctx, c.saveLocked); err != nil {
		return fmt.Errorf("log in as %s: %w", username, err)
	}
	return nil
}

// accessToken returns a bearer token that is not about to expire,
// refreshing it first when needed (or always, when force is set because
// the server refused the current one).
func (c *Client) accessToken(ctx context.Context, force bool, refused string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.loadLocked()
	if err != nil {
		return "", err
	}
	usable := func(s *Session) bool {
		if force {
			// Usable if another call or process refreshed it meanwhile.
			return s.AccessToken != refused && !c.needsRefresh(s)
		}
		return !c.needsRefresh(s)
	}
	if usable(s) {
		return s.AccessToken, nil
	}
	err = c.withStoreLock(ctx, func() error {
		c.syncLocked()
		if usable(c.session) {
			return nil
		}
		return c.refreshLocked(ctx)
	})
	if err != nil {
		return "", err
	}
	return c.session.AccessToken, nil
}

// needsRefresh reports whether the access token expires within the refresh
// margin: a quarter of its lifetime, at most maxRefreshMargin.
func (c *Client) needsRefresh(s *Session) bool {
	if s.AccessTokenExpiry.IsZero() {
		return false // the server gave no lifetime: use it until refused
	}
	margin := s.AccessTokenExpiry.Sub(s.IssuedAt) / 4
	if margin > maxRefreshMargin || margin < 0 {
		margin = maxRefreshMargin
	}
	return !c.now().Before(s.AccessTokenExpiry.Add(-margin))
}

// refreshLocked replaces the tokens using the refresh grant and saves them.
// c.mu and the store's lock are held: concurrent calls and processes wait
// for one refresh instead of racing with the same refresh token, which the
// server would take for a replay.
func (c *Client) refreshLocked(ctx context.Context) error {
	s := c.session
	now := c.now()
	if s.RefreshToken == "" || (!s.RefreshTokenExpiry.IsZero() && !now.Before(s.RefreshTokenExpiry)) {
		return ErrSessionExpired
	}
	tok, err := c.requestToken(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {ClientID},
		"refresh_token": {s.RefreshToken},
	})
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.userGone():
		return apiErr // an ErrUserGone
	case errors.As(err, &apiErr) && (apiErr.Status == http.StatusBadRequest || apiErr.Status == http.StatusUnauthorized):
		return fmt.Errorf("%w: %w", ErrSessionExpired, apiErr)
	}
	if err != nil {
		return fmt.Errorf("refresh token: %w", err)
	}
	applyToken(s, tok, now)
	if err := c.saveLocked(); err != nil {
		return fmt.Errorf("refresh token: %w", err)
	}
	return nil
}

// applyToken puts a token answer into the session. Quarry rotates the
// refresh token on every refresh; an answer without one (a server that does
// not rotate) keeps the old one.
func applyToken(s *Session, tok *tokenResponse, issued time.Time) {
	s.AccessToken = tok.AccessToken
	s.IssuedAt = issued
	s.AccessTokenExpiry = time.Time{}
	if tok.ExpiresIn > 0 {
		s.AccessTokenExpiry = issued.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if tok.RefreshToken != "" {
		s.RefreshToken = tok.RefreshToken
		s.RefreshTokenExpiry = time.Time{}
		if tok.RefreshExpiresIn > 0 {
			s.RefreshTokenExpiry = issued.Add(time.Duration(tok.RefreshExpiresIn) * time.Second)
		}
	}
}

// requestToken posts a form to the token endpoint.
func (c *Client) requestToken(ctx context.Context, form url.Values) (*tokenResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+tokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, decodeError(resp.StatusCode, resp.Header, body)
	}
	var tok tokenResponse
	if err := json.Unmarshal(body, &tok); err != nil {
		return nil, fmt.Errorf("token response: %w", &BadAnswerError{Err: err})
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("token response: %w", &BadAnswerError{Err: errors.New("no access_token")})
	}
	return &tok, nil
}
