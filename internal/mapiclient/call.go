package mapiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Call posts in (nil: an empty JSON object) as JSON to the MAPI endpoint
// at path (relative to /mapi/v1/, e.g. "jobs/status") and decodes the
// answer into out (nil: discard it). It refreshes the access token when it
// is near expiry, and once more when the server answers 401; it fetches a
// CSRF token when it has none, and again once when the server answers 403
// CSRF_TOKEN_INVALID. Error answers are *APIError.
func (c *Client) Call(ctx context.Context, path string, in, out any) error {
	body := []byte("{}")
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: encode request: %w", path, err)
		}
	}
	return c.call(ctx, http.MethodPost, path, "", body, out)
}

// Get asks the MAPI GET endpoint at path (relative to /mapi/v1/, e.g.
// "system/events") with query and decodes the answer into out, with the
// token and CSRF handling of Call.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, query.Encode(), nil, out)
}

func (c *Client) call(ctx context.Context, method, path, rawQuery string, body []byte, out any) error {
	var refreshed, csrfRefetched bool
	var refused string // the access token the server refused
	for {
		token, err := c.accessToken(ctx, refreshed, refused)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		csrf, cookie, err := c.csrfToken(ctx, csrfRefetched)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		status, header, respBody, err := c.send(ctx, method, path, rawQuery, body, token, csrf, cookie)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if status == http.StatusOK {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(respBody, out); err != nil {
				return fmt.Errorf("%s: %w", path, &BadAnswerError{Err: err})
			}
			return nil
		}
		apiErr := decodeError(status, header, respBody)
		switch {
		case apiErr.userGone():
			// No refresh can help: the user is gone.
			return apiErr
		case status == http.StatusUnauthorized && !refreshed:
			refreshed, refused = true, token
			continue
		case status == http.StatusForbidden && apiErr.Code == "CSRF_TOKEN_INVALID" && !csrfRefetched:
			csrfRefetched = true
			continue
		}
		return apiErr
	}
}

// send sends one MAPI request and returns the status, headers and body.
func (c *Client) send(ctx context.Context, method, path, rawQuery string, body []byte, token, csrf, cookie string) (int, http.Header, []byte, error) {
	target := c.endpoint + mapiPath + strings.TrimPrefix(path, "/")
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(csrfHeader, csrf)
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrf})
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read response: %w", err)
	}
	return resp.StatusCode, resp.Header, respBody, nil
}

// csrfToken returns the saved CSRF token and session cookie, fetching new
// ones when there are none or when refetch is set.
func (c *Client) csrfToken(ctx context.Context, refetch bool) (token, cookie string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.loadLocked()
	if err != nil {
		return "", "", err
	}
	if s.CSRFToken != "" && !refetch {
		return s.CSRFToken, s.SessionCookie, nil
	}
	token, cookie, err = c.fetchCSRF(ctx)
	if err != nil {
		return "", "", err
	}
	// Save into the newest session, not over it: another process may
	// have rotated the refresh token since this one loaded it.
	err = c.withStoreLock(ctx, func() error {
		c.syncLocked()
		c.session.CSRFToken, c.session.SessionCookie = token, cookie
		return c.saveLocked()
	})
	if err != nil {
		return "", "", fmt.Errorf("csrf: %w", err)
	}
	return token, cookie, nil
}

// fetchCSRF asks GET /mapi/v1/csrf for a token; it comes as cookies.
func (c *Client) fetchCSRF(ctx context.Context) (token, cookie string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+csrfPath, nil)
	if err != nil {
		return "", "", fmt.Errorf("csrf: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("csrf: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return "", "", fmt.Errorf("csrf: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("csrf: %w", decodeError(resp.StatusCode, resp.Header, body))
	}
	for _, ck := range resp.Cookies() {
		switch ck.Name {
		case csrfCookie:
			token = ck.Value
		case sessionCookie:
			cookie = ck.Value
		}
	}
	if token == "" {
		return "", "", fmt.Errorf("csrf: the answer set no %s cookie", csrfCookie)
	}
	return token, cookie, nil
}
