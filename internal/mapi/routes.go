package mapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
)

// Path prefixes: the canonical base and the mirror the vendor's reference
// page calls.
const (
	basePath   = "/mapi/v1/"
	mirrorPath = "/v1/"
	// TokenPath is the OAuth token endpoint, where a Keycloak realm named
	// vsp-object would have it.
	TokenPath = "/ui/auth/realms/vsp-object/protocol/openid-connect/token"
)

// Route is one served method and path, with the name Observe reports.
type Route struct {
	Method string
	Path   string
	Name   string
}

// access says who may call an endpoint.
type access int

const (
	public    access = iota // no token: token, csrf, openapi.json
	anyUser                 // bearer token, and an XSRF token on POST
	adminOnly               // as anyUser, and the ADMIN role
)

// endpoint is a registered route and what serves it.
type endpoint struct {
	Route
	serve func(w http.ResponseWriter, r *http.Request) error
}

// call is a JSON endpoint's request: the authenticated caller and the body.
type call struct {
	p    auth.Principal
	body []byte
}

// jsonFunc serves a JSON endpoint: it returns the 200 body or an error.
type jsonFunc func(ctx context.Context, c *call) (any, error)

func (h *Handler) register() {
	h.addRaw(http.MethodPost, TokenPath, "token", h.serveToken)
	h.addRaw(http.MethodGet, basePath+"csrf", "csrf", h.serveCSRF)
	h.addRaw(http.MethodGet, mirrorPath+"csrf", "csrf", h.serveCSRF)
	h.addRaw(http.MethodGet, "/csrf", "csrf", h.serveCSRF)
	h.addRaw(http.MethodGet, basePath+"openapi.json", "openapi", serveOpenAPI)

	h.addJSON("jobs/create", anyUser, h.createJob)
	h.addJSON("jobs/status", anyUser, h.jobStatus)
	h.addJSON("jobs/list", anyUser, h.listJobs)
	h.addJSON("jobs/cancel", anyUser, h.cancelJob)
	h.addJSON("jobs/failures", anyUser, h.jobFailures)

	h.addJSON("user/info", anyUser, h.userInfo)
	h.addJSON("user/list_buckets", anyUser, h.listBuckets)
	h.addJSON("s3/user/generate_credentials", anyUser, h.generateCredentials)
	h.addJSON("user/revoke_credentials", anyUser, h.revokeCredentials)
	h.addJSON("serial_number/get", anyUser, h.serialNumber)
	h.addJSON("region/identity", anyUser, h.regionIdentity)

	h.addJSON("user/create", adminOnly, h.createUser)
	h.addJSON("user/list", adminOnly, h.listUsers)
	h.addJSON("user/delete", adminOnly, h.deleteUser)

	if h.cfg.Settings != nil {
		h.addJSON("metrics/token", adminOnly, h.createMetricsToken)
		h.addJSON("metrics/revoke_tokens", adminOnly, h.revokeMetricsTokens)
	}
	if h.cfg.Replication != nil {
		// Any user: the service decides per target (its owner, its
		// grants, admins).
		h.addJSON("replication_target/create", anyUser, h.createTarget)
		h.addJSON("replication_target/list", anyUser, h.listTargets)
		h.addJSON("replication_target/update_access", anyUser, h.updateTargetAccess)
		h.addJSON("replication_target/delete", anyUser, h.deleteTarget)
		h.addJSON("replication_target/test", anyUser, h.testTarget)
	}
	if h.cfg.Notifications != nil {
		h.addJSON("notification_target/create", anyUser, h.createNotificationTarget)
		h.addJSON("notification_target/list", anyUser, h.listNotificationTargets)
		h.addJSON("notification_target/update_access", anyUser, h.updateNotificationTargetAccess)
		h.addJSON("notification_target/delete", anyUser, h.deleteNotificationTarget)
		h.addJSON("notification_target/test", anyUser, h.testNotificationTarget)
	}
}

// addRaw registers a route served by fn as is.
func (h *Handler) addRaw(method, path, name string, fn func(http.ResponseWriter, *http.Request) error) {
	e := &endpoint{Route: Route{Method: method, Path: path, Name: name}, serve: fn}
	h.paths[path] = e
	if !strings.HasPrefix(path, mirrorPath) {
		h.routes = append(h.routes, e)
	}
}

// addJSON registers POST /mapi/v1/<name> and its /v1/ mirror.
func (h *Handler) addJSON(name string, who access, fn jsonFunc) {
	serve := func(w http.ResponseWriter, r *http.Request) error { return h.serveJSON(w, r, who, fn) }
	h.addRaw(http.MethodPost, basePath+name, name, serve)
	h.paths[mirrorPath+name] = h.paths[basePath+name]
}

// serveJSON runs the checks every JSON endpoint shares, in the order the
// contract fixes (authentication 401, then XSRF 403, then role 403, then
// the body), and writes fn's answer.
func (h *Handler) serveJSON(w http.ResponseWriter, r *http.Request, who access, fn jsonFunc) error {
	p, err := h.authenticate(r)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		if err := h.checkCSRF(r); err != nil {
			return err
		}
	}
	if who == adminOnly && !p.Admin() {
		return forbidden("only an administrator may do this")
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	out, err := fn(r.Context(), &call{p: p, body: body})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
