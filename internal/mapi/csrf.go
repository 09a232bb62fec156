package mapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
)

// Cookie and header names existing VSP One Object clients use.
const (
	csrfCookie    = "XSRF-TOKEN"
	csrfHeader    = "X-XSRF-TOKEN"
	sessionCookie = "vertx-web.session"
)

// An XSRF token is base64url(expiry | nonce | mac): expiry is the Unix
// second it stops being valid (8 bytes, big-endian), nonce is random, mac
// is the first 16 bytes of HMAC-SHA256(Keys.CSRF, expiry | nonce). Signed
// rather than stored, so that any node checks any token.
const (
	csrfExpiryLen = 8
	csrfNonceLen  = 16
	csrfMACLen    = 16
	csrfTokenLen  = csrfExpiryLen + csrfNonceLen + csrfMACLen
)

var csrfEncoding = base64.RawURLEncoding

// newCSRFToken mints a token valid until now+ttl.
func (h *Handler) newCSRFToken() (string, error) {
	raw := make([]byte, csrfTokenLen)
	binary.BigEndian.PutUint64(raw, uint64(h.cfg.Now().Add(h.cfg.CSRFTTL).Unix()))
	if _, err := rand.Read(raw[csrfExpiryLen : csrfExpiryLen+csrfNonceLen]); err != nil {
		return "", fmt.Errorf("new xsrf token: %w", err)
	}
	copy(raw[csrfExpiryLen+csrfNonceLen:], h.csrfMAC(raw[:csrfExpiryLen+csrfNonceLen]))
	return csrfEncoding.EncodeToString(raw), nil
}

func (h *Handler) csrfMAC(signed []byte) []byte {
	m := hmac.New(sha256.New, h.cfg.Keys.CSRF)
	m.Write(signed)
	return m.Sum(nil)[:csrfMACLen]
}

// checkCSRF enforces the double-submit rule on a state-changing call: the
// X-XSRF-TOKEN header equals the XSRF-TOKEN cookie, and the token is one
// this installation signed and has not expired. A token is reusable until
// it expires.
func (h *Handler) checkCSRF(r *http.Request) *apiError {
	header := r.Header.Get(csrfHeader)
	if header == "" {
		return csrfInvalid("missing " + csrfHeader + " header")
	}
	cookie, err := r.Cookie(csrfCookie)
	if err != nil || cookie.Value == "" {
		return csrfInvalid("missing " + csrfCookie + " cookie")
	}
	if subtle.ConstantTimeCompare([]byte(header), []byte(cookie.Value)) != 1 {
		return csrfInvalid(csrfHeader + " header does not match the " + csrfCookie + " cookie")
	}
	raw, err := csrfEncoding.DecodeString(header)
	if err != nil || len(raw) != csrfTokenLen {
		return csrfInvalid("malformed token")
	}
	if !hmac.Equal(raw[csrfExpiryLen+csrfNonceLen:], h.csrfMAC(raw[:csrfExpiryLen+csrfNonceLen])) {
		return csrfInvalid("token not issued by this server")
	}
	expiry := int64(binary.BigEndian.Uint64(raw[:csrfExpiryLen]))
	if h.cfg.Now().Unix() >= expiry {
		return csrfInvalid("token expired")
	}
	return nil
}

// serveCSRF hands out an XSRF token in the cookies existing clients read.
func (h *Handler) serveCSRF(w http.ResponseWriter, r *http.Request) error {
	token, err := h.newCSRFToken()
	if err != nil {
		return err
	}
	var session [16]byte
	if _, err := rand.Read(session[:]); err != nil {
		return fmt.Errorf("new session id: %w", err)
	}
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: "/", Secure: secure})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: hex.EncodeToString(session[:]), Path: "/",
		HttpOnly: true, Secure: secure})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
