// Package mapicall calls Quarry's management API (MAPI) the way a VSP One
// Object client does: a password grant for a bearer token, GET csrf for
// the XSRF-TOKEN cookie, then JSON POSTs carrying both. The benchmarks go
// through the same steps as real clients so that what they time includes
// the authentication and CSRF checks every call pays.
package mapicall

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

// Client is one logged-in MAPI session.
type Client struct {
	base   string
	hc     *http.Client
	bearer string
	xsrf   string
}

// Login returns a client of the MAPI at base, logged in as user. hc is the
// HTTP client every call goes through: the caller picks its timeout and
// whether sessions share connections.
func Login(ctx context.Context, hc *http.Client, base, user, password string) (*Client, error) {
	c := &Client{base: base, hc: hc}
	form := url.Values{"grant_type": {"password"}, "client_id": {"vsp-object-external-client"},
		"username": {user}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		base+"/ui/auth/realms/vsp-object/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := c.roundTrip(req, &tok); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	c.bearer = tok.AccessToken
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, base+"/mapi/v1/csrf", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("csrf: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "XSRF-TOKEN" {
			c.xsrf = ck.Value
		}
	}
	if c.xsrf == "" {
		return nil, fmt.Errorf("csrf: %s set no XSRF-TOKEN cookie", resp.Status)
	}
	return c, nil
}

// Post sends body as a JSON POST to /mapi/v1/<endpoint> and decodes a 200
// answer into out (nil: the answer is read and dropped); any other status
// is an error carrying the body.
func (c *Client) Post(ctx context.Context, endpoint string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/mapi/v1/"+endpoint, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.bearer)
	req.Header.Set("X-XSRF-TOKEN", c.xsrf)
	req.AddCookie(&http.Cookie{Name: "XSRF-TOKEN", Value: c.xsrf})
	if err := c.roundTrip(req, out); err != nil {
		return fmt.Errorf("%s: %w", endpoint, err)
	}
	return nil
}

// roundTrip sends req and decodes a 200 answer into out. The body is
// always read to the end, so that the connection is reused.
func (c *Client) roundTrip(req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}
