package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// mapiClient does what a VSP One Object client does: a password grant, GET
// csrf for the XSRF-TOKEN cookie, then JSON POSTs with the bearer token and
// the X-XSRF-TOKEN header.
type mapiClient struct {
	base   string
	hc     *http.Client
	bearer string
	xsrf   string
}

// login returns a client of the MAPI at base, logged in as the root user.
// Each client keeps its own connection, as separate programs would.
func login(ctx context.Context, base string) (*mapiClient, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute}
	c := &mapiClient{base: base, hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
	form := url.Values{"grant_type": {"password"}, "client_id": {"vsp-object-external-client"},
		"username": {rootUser}, "password": {rootPassword}}
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

// post sends a JSON POST to /mapi/v1/<endpoint> and decodes a 200 answer
// into out; any other status is an error carrying the body.
func (c *mapiClient) post(ctx context.Context, endpoint string, body, out any) error {
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

func (c *mapiClient) roundTrip(req *http.Request, out any) error {
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

// jobStatus is the part of the MAPI JobStatus the benchmark reads.
type jobStatus struct {
	JobID struct {
		ID int32 `json:"id"`
	} `json:"jobId"`
	JobState string `json:"jobState"`
	Message  string `json:"message"`
	JobStats struct {
		Processed int64 `json:"processed"`
		Failed    int64 `json:"failed"`
	} `json:"jobStats"`
}

func jobIDBody(id int32) map[string]any { return map[string]any{"jobId": map[string]any{"id": id}} }
