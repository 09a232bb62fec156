// Package mapi is Quarry's management API: the VSP One Object MAPI (jobs,
// users, S3 credentials, identity, replication targets, TLS certificates,
// and the rest of what the vendor's clients call) over JSON, with
// its OAuth-style token endpoint, signed bearer tokens and double-submit
// XSRF tokens. The wire contract is shared/spec/MAPI.md; openapi.json
// describes it for tools.
package mapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/job"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/throttle"
)

// Defaults for Config's lifetimes.
const (
	DefaultAccessTTL  = 300 * time.Second
	DefaultRefreshTTL = 1800 * time.Second
	DefaultCSRFTTL    = 12 * time.Hour
)

// minKeySize is the shortest HMAC key New accepts.
const minKeySize = 16

// Config configures a Handler. Users, Jobs, Objects and Keys are required.
type Config struct {
	Users   *auth.Service
	Jobs    job.API
	Objects *object.Service
	// Keys sign tokens; from LoadKeys, so that every node shares them.
	Keys Keys
	// Replication serves the replication_target endpoints; a handler
	// without it does not route them (501, as any unknown MAPI path).
	Replication ReplicationTargets
	// Notifications serves the notification_target endpoints; a handler
	// without it does not route them.
	Notifications NotificationTargets
	// Certificates serves the certificates endpoints; a handler without
	// it does not route them.
	Certificates Certificates
	// Storage serves the storage_component, storage_class and
	// storage_fault_domain endpoints; a handler without it does not route
	// them.
	Storage Storage
	// Encryption serves the s3_encryption endpoints; a handler without it
	// does not route them.
	Encryption Encryption
	// Settings keeps the metrics token generation, the serial number and
	// the namespace of users' UUIDs; a handler without it does not route
	// metrics/token, metrics/revoke_tokens, serial_number/set, user/lookup
	// and the Keycloak users listing, and AuthorizeMetrics then takes
	// admins' access tokens only.
	Settings meta.Store
	// Events is the event log: system/events serves it, and refused
	// logins are recorded in it. A handler without it does not route
	// system/events (404) and records no logins.
	Events *events.Log
	// S3URL returns the S3 endpoint that a client which sent a MAPI
	// request to host (its Host header) reaches: s3/presign signs URLs
	// for it. A handler without it does not route s3/presign.
	S3URL func(host string) *url.URL
	// Region is what region/identity answers, and the region presigned
	// URLs are signed for.
	Region string
	// Serial is what serial_number/get answers until serial_number/set
	// stores another in Settings; from LoadSerial.
	Serial string
	// Version is Quarry's version, which galaxy/info reports ("dev" when
	// empty).
	Version string
	// AccessTTL, RefreshTTL and CSRFTTL default to 300s, 1800s and 12h.
	AccessTTL, RefreshTTL, CSRFTTL time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now; it decides token expiry.
	Now func() time.Time
	// UserLogins and AddressLogins throttle failed password grants per
	// username and per client address; zero values take the defaults
	// (see defaultUserLoginPolicy). The counts live in this process.
	UserLogins, AddressLogins throttle.Policy
	// Observe, if set, is called after every request with the route name
	// ("jobs/create"; "unmatched" for an unknown path), the status and the
	// time taken: the metrics hook.
	Observe func(op string, status int, d time.Duration)
}

// Handler serves the MAPI. It is an http.Handler, safe for concurrent use,
// and answers whatever the Host header says.
type Handler struct {
	cfg    Config
	routes []*endpoint
	paths  map[string]*endpoint // every served path, /v1/ mirrors included
	logins *loginThrottle
	uuids  *userUUIDs // nil without Settings
}

// New returns a Handler. It panics if cfg.Keys are missing, a wiring
// mistake that would otherwise make every token forgeable.
func New(cfg Config) *Handler {
	if len(cfg.Keys.Token) < minKeySize || len(cfg.Keys.CSRF) < minKeySize {
		panic("mapi: Config.Keys must hold keys from LoadKeys")
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.CSRFTTL <= 0 {
		cfg.CSRFTTL = DefaultCSRFTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	h := &Handler{cfg: cfg, paths: make(map[string]*endpoint),
		logins: newLoginThrottle(cfg.UserLogins, cfg.AddressLogins, cfg.Logger, cfg.Events)}
	if cfg.Settings != nil {
		h.uuids = newUserUUIDs(cfg.Settings)
	}
	h.register()
	return h
}

// Routes returns every route the handler serves, in registration order.
// Each /mapi/v1/ route is also served under /v1/ (not listed again).
func (h *Handler) Routes() []Route {
	out := make([]Route, len(h.routes))
	for i, e := range h.routes {
		out[i] = e.Route
	}
	return out
}

// ServeHTTP implements http.Handler. Every refused or failed request is
// logged once, when it ends (see logAccess).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	reqID := newRequestID()
	rec.Header().Set("X-Request-Id", reqID)
	acc := &accessEntry{}
	r = r.WithContext(withAccess(withRequestID(r.Context(), reqID), acc))
	op := "unmatched"
	defer func() {
		status := rec.statusCode()
		h.logAccess(r, reqID, op, status, acc)
		if h.cfg.Observe != nil {
			h.cfg.Observe(op, status, time.Since(start))
		}
	}()
	defer h.recoverPanic(rec, r, reqID)

	e := h.paths[r.URL.Path]
	if e == nil {
		if isMAPIPath(r.URL.Path) {
			h.serveUnknown(rec, r)
			return
		}
		writeError(rec, r, notFound("no such management endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	op = e.Name
	if !e.allows(r.Method) {
		rec.Header().Set("Allow", e.Method)
		writeError(rec, r, &apiError{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
			Message: e.Path + " only answers " + e.Method})
		return
	}
	if err := e.serve(rec, r); err != nil {
		h.fail(rec, r, reqID, err)
	}
}

// fail answers err: with its public form when it has one, otherwise (an
// internal failure) with a generic 500 while the access log keeps the
// cause.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, reqID string, err error) {
	ae := publicError(err)
	if ae == nil {
		accessOf(r.Context()).err = err
		ae = internalError(reqID)
	}
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vsp-object"`)
	}
	writeError(w, r, ae)
}

// recoverPanic turns a handler bug into a logged 500 instead of a dropped
// connection; http.ErrAbortHandler keeps its meaning.
func (h *Handler) recoverPanic(w *statusRecorder, r *http.Request, reqID string) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	h.cfg.Logger.Error("mapi handler panicked", "request_id", reqID, "path", r.URL.Path, "panic", v)
	if !w.wrote {
		writeError(w, r, internalError(reqID))
	}
}

type requestIDKey struct{}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
