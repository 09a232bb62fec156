// Package mapiclient is a Go client of Quarry's management API (MAPI): it
// logs in with the OAuth 2.0 password grant, refreshes tokens before they
// expire, sends the CSRF token on every call, and decodes error bodies into
// *APIError. It speaks only the MAPI wire contract (shared/spec/MAPI.md),
// like any other VSP One Object client, never to the database.
package mapiclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ClientID is the OAuth client_id Quarry's own tools log in with.
const ClientID = "quarry-cli"

// Paths of the wire contract.
const (
	tokenPath = "/ui/auth/realms/vsp-object/protocol/openid-connect/token"
	mapiPath  = "/mapi/v1/"
	csrfPath  = "/mapi/v1/csrf"
)

// Cookie and header names of the CSRF protection.
const (
	csrfCookie    = "XSRF-TOKEN"
	sessionCookie = "vertx-web.session"
	csrfHeader    = "X-XSRF-TOKEN"
)

// maxRefreshMargin is how long before expiry an access token is refreshed,
// at most; short-lived tokens are refreshed after three quarters of their life.
const maxRefreshMargin = 30 * time.Second

// maxResponseBytes bounds what the client reads of any answer.
const maxResponseBytes = 16 << 20

// Options configure a Client. The zero value works: a default HTTP client,
// the session kept in memory only.
type Options struct {
	// HTTPClient sends the requests; nil means a client with a 60 s timeout.
	HTTPClient *http.Client
	// InsecureSkipVerify accepts any TLS certificate (a self-signed test
	// server). It applies only when HTTPClient is nil.
	InsecureSkipVerify bool
	// TokenStore keeps the session between runs; nil keeps it in memory.
	TokenStore TokenStore
}

// Client calls one MAPI endpoint. It is safe for concurrent use.
type Client struct {
	endpoint string
	http     *http.Client
	store    TokenStore
	insecure bool
	now      func() time.Time

	mu      sync.Mutex
	session *Session // loaded from store on first use
}

// New returns a client of the MAPI at endpoint (scheme://host:port; a bare
// host:port means http).
func New(endpoint string, opts Options) *Client {
	hc := opts.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if opts.InsecureSkipVerify {
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by --insecure
		}
		hc = &http.Client{Transport: tr, Timeout: 60 * time.Second}
	}
	store := opts.TokenStore
	if store == nil {
		store = &memoryStore{}
	}
	return &Client{
		endpoint: NormalizeEndpoint(endpoint),
		http:     hc,
		store:    store,
		insecure: opts.InsecureSkipVerify,
		now:      time.Now,
	}
}

// NormalizeEndpoint adds http:// to a bare host:port and drops trailing
// slashes, so that one endpoint has one spelling in saved sessions.
func NormalizeEndpoint(endpoint string) string {
	e := strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if e != "" && !strings.Contains(e, "://") {
		e = "http://" + e
	}
	return e
}

// Endpoint is the MAPI endpoint the client calls.
func (c *Client) Endpoint() string { return c.endpoint }

// Session returns a copy of the current session, loading it from the
// store if needed; ErrNotLoggedIn when there is none for this endpoint.
func (c *Client) Session() (*Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.loadLocked()
	if err != nil {
		return nil, err
	}
	cp := *s
	return &cp, nil
}

// loadLocked returns the session, loading it from the store on first use.
func (c *Client) loadLocked() (*Session, error) {
	if c.session != nil {
		return c.session, nil
	}
	s, err := c.store.Load()
	if errors.Is(err, ErrNoSession) {
		return nil, ErrNotLoggedIn
	}
	if err != nil {
		return nil, err
	}
	if NormalizeEndpoint(s.Endpoint) != c.endpoint || s.AccessToken == "" {
		return nil, ErrNotLoggedIn
	}
	c.session = s
	return s, nil
}

// saveLocked stores the session after a change (new tokens, new CSRF token).
// Callers hold the store's lock (withStoreLock).
func (c *Client) saveLocked() error {
	return c.store.Save(c.session)
}

// withStoreLock runs fn holding the store's lock, when it has one, so that
// other processes sharing the session neither refresh nor save meanwhile.
// c.mu is held as well.
func (c *Client) withStoreLock(ctx context.Context, fn func() error) error {
	ls, ok := c.store.(LockingStore)
	if !ok {
		return fn()
	}
	unlock, err := ls.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// syncLocked adopts the saved session when another process changed it
// since this client loaded it: a refresh elsewhere rotated the refresh
// token, and only the saved one still works. A saved session of another
// endpoint or user (a login meanwhile) is left alone. The store's lock is
// held, so what is saved is the newest there is.
func (c *Client) syncLocked() {
	s, err := c.store.Load()
	if err != nil || s.AccessToken == "" || NormalizeEndpoint(s.Endpoint) != c.endpoint ||
		c.session == nil || !strings.EqualFold(s.Username, c.session.Username) {
		return
	}
	c.session = s
}
