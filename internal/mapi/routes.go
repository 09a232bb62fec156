package mapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/events"
)

// Path prefixes: the canonical base and the mirror the vendor's reference
// page calls.
const (
	basePath   = "/mapi/v1/"
	mirrorPath = "/v1/"
	// TokenPath is the OAuth token endpoint, where a Keycloak realm named
	// vsp-object would have it.
	TokenPath = "/ui/auth/realms/vsp-object/protocol/openid-connect/token"
	// LogoutPath ends a login, as Keycloak's logout endpoint does.
	LogoutPath = "/ui/auth/realms/vsp-object/protocol/openid-connect/logout"
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
	// also are the other methods the path answers (PATCH beside POST).
	also  []string
	serve func(w http.ResponseWriter, r *http.Request) error
}

// allows reports whether the endpoint answers method.
func (e *endpoint) allows(method string) bool {
	return method == e.Method || slices.Contains(e.also, method)
}

// call is a JSON endpoint's request: the authenticated caller, the body
// and the host the request was sent to (its Host header).
type call struct {
	p    auth.Principal
	body []byte
	host string
	// query is the raw query string (storage_class/list?pageSize=N).
	query string
}

// jsonFunc serves a JSON endpoint: it returns the 200 body or an error.
type jsonFunc func(ctx context.Context, c *call) (any, error)

func (h *Handler) register() {
	h.addRaw(http.MethodPost, TokenPath, "token", h.serveToken)
	h.addRaw(http.MethodPost, LogoutPath, "logout", h.serveLogout)
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
	h.addJSON("user/list_credentials", anyUser, h.listCredentials)
	if h.cfg.S3URL != nil {
		h.addJSON("s3/presign", anyUser, h.presign)
	}
	h.addJSON("serial_number/get", anyUser, h.serialNumber)
	h.addJSON("region/identity", anyUser, h.regionIdentity)
	h.addJSONMethod(http.MethodGet, "galaxy/info", anyUser, h.galaxyInfo)
	h.addJSON("license/list", anyUser, h.listLicenses)
	h.addJSON("license/add", adminOnly, h.addLicense)

	h.addJSON("user/create", adminOnly, h.createUser)
	h.addJSON("user/list", adminOnly, h.listUsers)
	h.addJSON("user/delete", adminOnly, h.deleteUser)
	h.addJSON("user/set_role", adminOnly, h.setUserRole)

	if h.cfg.Settings != nil {
		h.addJSON("serial_number/set", adminOnly, h.setSerialNumber)
		h.addJSON("user/lookup", anyUser, h.lookupUser)
		h.addRaw(http.MethodGet, KeycloakUsersPath, "keycloak/users", h.serveKeycloakUsers)
		h.addJSON("metrics/token", adminOnly, h.createMetricsToken)
		h.addJSON("metrics/revoke_tokens", adminOnly, h.revokeMetricsTokens)
	}
	if h.cfg.Encryption != nil {
		h.addJSON("s3_encryption/get", adminOnly, h.getEncryption)
		h.addJSON("s3_encryption/set", adminOnly, h.setEncryption)
		h.addJSON("s3_encryption/rotate_key", adminOnly, h.rotateEncryptionKey)
	}
	if h.cfg.Events != nil {
		h.addQuery("system/events", anyUser, h.listEvents(false))
		h.addQuery("system/gms_events", anyUser, h.listEvents(true))
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
	if h.cfg.Storage != nil {
		h.registerStorage()
	}
	if h.cfg.Certificates != nil {
		h.addJSON("certificates/list", adminOnly, h.listCertificates)
		h.addJSON("certificates/get", adminOnly, h.getCertificate)
		h.addJSON("certificates/add", adminOnly, h.addCertificate)
		h.addJSON("certificates/delete", adminOnly, h.deleteCertificate)
	}
	h.registerNotImplemented()
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
	h.addJSONMethod(http.MethodPost, name, who, fn)
}

// addJSONMethod is addJSON for another method: the vendor's clients GET a
// few read-only endpoints (galaxy/info) with no body.
func (h *Handler) addJSONMethod(method, name string, who access, fn jsonFunc) {
	serve := func(w http.ResponseWriter, r *http.Request) error { return h.serveJSON(w, r, who, fn) }
	h.addRaw(method, basePath+name, name, serve)
	h.paths[mirrorPath+name] = h.paths[basePath+name]
}

// addJSONMethods is addJSON for a path that answers several methods, the
// first one the main one (the Allow header of a 405 names it).
func (h *Handler) addJSONMethods(methods []string, name string, who access, fn jsonFunc) {
	h.addJSONMethod(methods[0], name, who, fn)
	e := h.paths[basePath+name]
	for _, m := range methods[1:] {
		e.also = append(e.also, m)
		h.routes = append(h.routes, &endpoint{Route: Route{Method: m, Path: e.Path, Name: e.Name}, serve: e.serve})
	}
}

// addQuery registers GET /mapi/v1/<name> and its /v1/ mirror: a read
// whose parameters are in the query string.
func (h *Handler) addQuery(name string, who access, fn queryFunc) {
	serve := func(w http.ResponseWriter, r *http.Request) error { return h.serveQuery(w, r, who, fn) }
	h.addRaw(http.MethodGet, basePath+name, name, serve)
	h.paths[mirrorPath+name] = h.paths[basePath+name]
}

// serveQuery runs the checks of a GET endpoint (authentication 401, then
// role 403, then the query) and writes fn's answer. A GET changes
// nothing, so it needs no XSRF token; one sent (the vendor's clients send
// it on every call) is ignored. The query is parsed strictly: a malformed
// escape is a 400, not a parameter silently dropped.
func (h *Handler) serveQuery(w http.ResponseWriter, r *http.Request, who access, fn queryFunc) error {
	p, err := h.authenticate(r)
	if err != nil {
		return err
	}
	noteUser(r.Context(), p)
	if who == adminOnly && !p.Admin() {
		return forbidden("only an administrator may do this")
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errBadQuery(err)
	}
	out, err := fn(events.WithActor(r.Context(), p.Actor()), &queryCall{p: p, query: query})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// serveJSON runs the checks every JSON endpoint shares, in the order the
// contract fixes (authentication 401, then XSRF 403, then role 403, then
// the body), and writes fn's answer.
func (h *Handler) serveJSON(w http.ResponseWriter, r *http.Request, who access, fn jsonFunc) error {
	p, err := h.authenticate(r)
	if err != nil {
		return err
	}
	noteUser(r.Context(), p)
	if r.Method != http.MethodGet {
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
	// The services record who changed what in the event log; those that
	// take no principal read it from the context.
	out, err := fn(events.WithActor(r.Context(), p.Actor()), &call{p: p, body: body, host: r.Host, query: r.URL.RawQuery})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
