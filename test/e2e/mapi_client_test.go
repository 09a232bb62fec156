package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// This file is a small MAPI client written from the wire contract
// (shared/spec/MAPI.md), doing exactly what a VSP One Object client does:
// a form-encoded password grant at the Keycloak-style token endpoint, GET
// /mapi/v1/csrf for the XSRF-TOKEN and vertx-web.session cookies, then JSON
// POSTs carrying the bearer token, the X-XSRF-TOKEN header and the cookies.
// It deliberately shares no code with internal/mapiclient (the CLI's
// client), so that a drift of either side from the contract shows here.

// Names the contract fixes.
const (
	mapiTokenPath  = "/ui/auth/realms/vsp-object/protocol/openid-connect/token"
	mapiBase       = "/mapi/v1/"
	mapiClientID   = "vsp-object-external-client"
	mapiXSRFCookie = "XSRF-TOKEN"
	mapiXSRFHeader = "X-XSRF-TOKEN"
	mapiSessCookie = "vertx-web.session"
)

// mapiClient is one logged-in (or not yet logged-in) MAPI client. Its
// fields are exported to the tests so that they can tamper with them.
type mapiClient struct {
	t    *testing.T
	base string // http://host:port
	hc   *http.Client
	// Prefix is the path prefix of the JSON endpoints: /mapi/v1/ or /v1/.
	Prefix string
	// Host, if set, is sent as the Host header.
	Host string
	// AccessToken and RefreshToken are from the last token grant.
	AccessToken  string
	RefreshToken string
	// XSRF and Session are the cookies GET csrf set.
	XSRF    string
	Session string
}

// newMAPIClient returns a client of srv's MAPI that has not logged in.
func newMAPIClient(t *testing.T, srv *server) *mapiClient {
	return &mapiClient{t: t, base: "http://" + srv.MAPIAddr, hc: &http.Client{Timeout: 30 * time.Second}, Prefix: mapiBase}
}

// as returns a copy of c that reports to t: a subtest must fail through
// its own t, never its parent's.
func (c *mapiClient) as(t *testing.T) *mapiClient {
	cc := *c
	cc.t = t
	return &cc
}

// mapiLogin returns a client of srv logged in as user, holding an XSRF token.
func mapiLogin(t *testing.T, srv *server, user, password string) *mapiClient {
	t.Helper()
	c := newMAPIClient(t, srv)
	c.login(user, password)
	return c
}

// mapiRoot is a root client of srv.
func mapiRoot(t *testing.T, srv *server) *mapiClient {
	t.Helper()
	return mapiLogin(t, srv, rootUser, rootPassword)
}

// tokenResponse is the token endpoint's answer, success or OAuth error.
type tokenResponse struct {
	Status           int    `json:"-"`
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	// RetryAfter is the Retry-After header of the answer.
	RetryAfter string `json:"-"`
}

// grant posts form to the token endpoint and decodes the JSON answer.
func (c *mapiClient) grant(form url.Values) tokenResponse {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.base+mapiTokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatalf("token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.setHost(req)
	resp := c.send(req)
	var tr tokenResponse
	if err := json.Unmarshal(resp.Body, &tr); err != nil {
		c.t.Fatalf("token endpoint answered %s, not JSON: %v", resp, err)
	}
	tr.Status = resp.Status
	tr.RetryAfter = resp.Header.Get("Retry-After")
	return tr
}

// passwordGrant asks for tokens with a password, as the vendor's clients do.
func (c *mapiClient) passwordGrant(user, password string) tokenResponse {
	c.t.Helper()
	return c.grant(url.Values{
		"grant_type": {"password"},
		"client_id":  {mapiClientID},
		"username":   {user},
		"password":   {password},
	})
}

// refreshGrant trades a refresh token for new tokens.
func (c *mapiClient) refreshGrant(refresh string) tokenResponse {
	c.t.Helper()
	return c.grant(url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {mapiClientID},
		"refresh_token": {refresh},
	})
}

// login gets tokens and an XSRF token; it fails the test on any refusal.
func (c *mapiClient) login(user, password string) {
	c.t.Helper()
	tr := c.passwordGrant(user, password)
	if tr.Status != http.StatusOK || tr.AccessToken == "" {
		c.t.Fatalf("password grant for %s: %d %s %s", user, tr.Status, tr.Error, tr.ErrorDescription)
	}
	c.AccessToken, c.RefreshToken = tr.AccessToken, tr.RefreshToken
	c.fetchCSRF()
}

// fetchCSRF does GET csrf and keeps the two cookies it sets.
func (c *mapiClient) fetchCSRF() {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.base+c.Prefix+"csrf", nil)
	if err != nil {
		c.t.Fatalf("csrf request: %v", err)
	}
	c.setHost(req)
	resp := c.send(req)
	if resp.Status != http.StatusOK {
		c.t.Fatalf("GET %scsrf: %s", c.Prefix, resp)
	}
	c.XSRF, c.Session = "", ""
	for _, ck := range resp.Cookies {
		switch ck.Name {
		case mapiXSRFCookie:
			c.XSRF = ck.Value
		case mapiSessCookie:
			c.Session = ck.Value
		}
	}
	if c.XSRF == "" || c.Session == "" {
		c.t.Fatalf("GET %scsrf set cookies %v, want %s and %s", c.Prefix, resp.Cookies, mapiXSRFCookie, mapiSessCookie)
	}
}

// mapiResponse is a MAPI response read completely.
type mapiResponse struct {
	Status  int
	Header  http.Header
	Cookies []*http.Cookie
	Body    []byte
}

func (r mapiResponse) String() string {
	return fmt.Sprintf("%d %s", r.Status, tail(string(r.Body), 600))
}

// mapiError is the contract's error body.
type mapiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
}

// apiError decodes the error body; ok is false when the body is not a JSON
// object with exactly the contract's three string fields present.
func (r mapiResponse) apiError() (e mapiError, ok bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(r.Body, &fields) != nil {
		return e, false
	}
	for _, name := range []string{"code", "message", "details"} {
		var s string
		if raw, present := fields[name]; !present || json.Unmarshal(raw, &s) != nil {
			return e, false
		}
	}
	_ = json.Unmarshal(r.Body, &e)
	return e, e.Code != "" && e.Message != ""
}

// mapiRequest is one JSON POST; the zero value of each override sends what
// a well-behaved client sends.
type mapiRequest struct {
	// Endpoint is the path after the prefix: "jobs/create".
	Endpoint string
	// Body is sent as is when it is []byte, marshalled as JSON otherwise;
	// nil sends an empty body.
	Body any
	// Edit, if set, changes the request before it is sent (tamper with
	// headers or cookies).
	Edit func(*http.Request)
}

// post sends a JSON POST with the bearer token, X-XSRF-TOKEN header and
// both cookies.
func (c *mapiClient) post(endpoint string, body any) mapiResponse {
	c.t.Helper()
	return c.do(mapiRequest{Endpoint: endpoint, Body: body})
}

func (c *mapiClient) do(mr mapiRequest) mapiResponse {
	c.t.Helper()
	var payload []byte
	switch b := mr.Body.(type) {
	case nil:
	case []byte:
		payload = b
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			c.t.Fatalf("marshal %s body: %v", mr.Endpoint, err)
		}
	}
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.base+c.Prefix+mr.Endpoint, bytes.NewReader(payload))
	if err != nil {
		c.t.Fatalf("%s request: %v", mr.Endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.AccessToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	}
	if c.XSRF != "" {
		req.Header.Set(mapiXSRFHeader, c.XSRF)
		req.AddCookie(&http.Cookie{Name: mapiXSRFCookie, Value: c.XSRF})
	}
	if c.Session != "" {
		req.AddCookie(&http.Cookie{Name: mapiSessCookie, Value: c.Session})
	}
	c.setHost(req)
	if mr.Edit != nil {
		mr.Edit(req)
	}
	return c.send(req)
}

// must posts and decodes a 200 answer into out (unless out is nil); any
// other status fails the test.
func (c *mapiClient) must(endpoint string, body, out any) {
	c.t.Helper()
	resp := c.post(endpoint, body)
	if resp.Status != http.StatusOK {
		c.t.Fatalf("POST %s%s: %s", c.Prefix, endpoint, resp)
	}
	if out == nil {
		return
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		c.t.Fatalf("POST %s%s: decode %s: %v", c.Prefix, endpoint, resp, err)
	}
}

func (c *mapiClient) setHost(req *http.Request) {
	if c.Host != "" {
		req.Host = c.Host
	}
}

func (c *mapiClient) send(req *http.Request) mapiResponse {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return mapiResponse{Status: resp.StatusCode, Header: resp.Header, Cookies: resp.Cookies(), Body: body}
}

// decodeInto decodes the response body into out.
func decodeInto(r mapiResponse, out any) error {
	return json.Unmarshal(r.Body, out)
}
