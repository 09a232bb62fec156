package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/mapi"
)

// The server has no flag for the XSRF token lifetime (12h), so the expired
// token is minted here, in the server's documented format (see
// internal/mapi/csrf.go: base64url of expiry, nonce and a truncated
// HMAC-SHA256), with the server's own key read from its data directory. A
// token minted the same way with a future expiry must be accepted, which
// proves the refusal of the expired one is about its expiry.
func mintXSRF(key []byte, expiry time.Time) string {
	raw := make([]byte, 8+16, 8+16+16)
	binary.BigEndian.PutUint64(raw, uint64(expiry.Unix()))
	_, _ = rand.Read(raw[8:])
	m := hmac.New(sha256.New, key)
	m.Write(raw)
	return base64.RawURLEncoding.EncodeToString(append(raw, m.Sum(nil)[:16]...))
}

// serverCSRFKey reads the XSRF signing key of srv.
func serverCSRFKey(t *testing.T, srv *server) []byte {
	t.Helper()
	ctx := context.Background()
	key, err := auth.LoadOrCreateKey(filepath.Join(srv.DataDir, "quarry.key"))
	if err != nil {
		t.Fatalf("load sealing key: %v", err)
	}
	sealer, err := auth.NewSealer(key)
	if err != nil {
		t.Fatalf("new sealer: %v", err)
	}
	st, err := openStoreAt(ctx, srv.DataDir)
	if err != nil {
		t.Fatalf("open meta.db: %v", err)
	}
	defer st.Close()
	keys, err := mapi.LoadKeys(ctx, st, sealer)
	if err != nil {
		t.Fatalf("load MAPI keys: %v", err)
	}
	return keys.CSRF
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// withXSRF sends header as X-XSRF-TOKEN and cookie as the XSRF-TOKEN
// cookie ("" leaves either out), with the session cookie.
func withXSRF(c *mapiClient, header, cookie string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Del(mapiXSRFHeader)
		r.Header.Del("Cookie")
		if header != "" {
			r.Header.Set(mapiXSRFHeader, header)
		}
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: mapiXSRFCookie, Value: cookie})
		}
		r.AddCookie(&http.Cookie{Name: mapiSessCookie, Value: c.Session})
	}
}

func TestCSRFProtection(t *testing.T) {
	t.Parallel()
	c := mapiRoot(t, sharedSrv)
	other := mapiRoot(t, sharedSrv) // a second, equally valid XSRF token
	key := serverCSRFKey(t, sharedSrv)
	otherKey := make([]byte, len(key))
	_, _ = rand.Read(otherKey)
	expired := mintXSRF(key, time.Now().Add(-time.Minute))

	refused := []struct{ name, header, cookie string }{
		{"the header is missing", "", c.XSRF},
		{"the cookie is missing", c.XSRF, ""},
		{"the header does not match the cookie", c.XSRF, other.XSRF},
		{"a forged token (random base64) in both", randomToken(40), ""},
		{"a token that is not base64", "!!!not-base64!!!", ""},
		{"a token signed with another key", mintXSRF(otherKey, time.Now().Add(time.Hour)), ""},
		{"an expired token the server signed", expired, ""},
	}
	for _, tc := range refused {
		t.Run(tc.name+" is refused with 403 CSRF_TOKEN_INVALID", func(t *testing.T) {
			c := c.as(t)
			cookie := tc.cookie
			if cookie == "" && tc.header != c.XSRF {
				cookie = tc.header // a consistent pair of a bad token
			}
			name := fmt.Sprintf("csrf-victim-%d", bucketSeq.Add(1))
			resp := c.do(mapiRequest{Endpoint: "user/create",
				Body: map[string]any{"username": name, "password": "password-123456", "role": "ADMIN"},
				Edit: withXSRF(c, tc.header, cookie)})
			if e, ok := resp.apiError(); resp.Status != http.StatusForbidden || !ok || e.Code != "CSRF_TOKEN_INVALID" {
				t.Errorf("user/create: %s, want 403 CSRF_TOKEN_INVALID", resp)
			}
			if tr := c.passwordGrant(name, "password-123456"); tr.Status == http.StatusOK {
				t.Errorf("the refused user/create created user %s", name)
			}
		})
	}

	t.Run("a token minted like the server's with a future expiry is accepted", func(t *testing.T) {
		c := c.as(t)
		good := mintXSRF(key, time.Now().Add(time.Hour))
		resp := c.do(mapiRequest{Endpoint: "user/info", Edit: withXSRF(c, good, good)})
		if resp.Status != http.StatusOK {
			t.Errorf("user/info with a freshly minted token: %s, want 200 (the expired case then proves nothing)", resp)
		}
	})

	t.Run("one token serves many calls", func(t *testing.T) {
		c := c.as(t)
		for i := range 25 {
			if resp := c.post("region/identity", nil); resp.Status != http.StatusOK {
				t.Fatalf("call %d with the same XSRF token: %s", i+1, resp)
			}
		}
		name := fmt.Sprintf("csrf-ok-%d", bucketSeq.Add(1))
		c.createUser(name, "password-123456", "USER")
	})

	t.Run("GET csrf sets the cookies existing clients read", func(t *testing.T) {
		c := c.as(t)
		for _, path := range []string{"/mapi/v1/csrf", "/v1/csrf", "/csrf"} {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, c.base+path, nil)
			resp := c.send(req)
			var xsrf, session *http.Cookie
			for _, ck := range resp.Cookies {
				switch ck.Name {
				case mapiXSRFCookie:
					xsrf = ck
				case mapiSessCookie:
					session = ck
				}
			}
			if resp.Status != http.StatusOK || xsrf == nil || session == nil {
				t.Errorf("GET %s: %s, cookies %v", path, resp, resp.Cookies)
				continue
			}
			if xsrf.Path != "/" || session.Path != "/" || !session.HttpOnly {
				t.Errorf("GET %s: XSRF-TOKEN path %q, session path %q HttpOnly %v; want / and / HttpOnly",
					path, xsrf.Path, session.Path, session.HttpOnly)
			}
		}
	})
}
