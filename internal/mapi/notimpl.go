package mapi

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"
)

// The vendor's endpoints Quarry knows of but does not serve. Each is routed
// (so openapi.json lists it and the answer names what is missing) and
// answers 501 after the usual checks: the vendor's modules crash on a bare
// 404, and a message saying why is what an operator needs.
var (
	kmipEndpoints = []string{
		"kmip/list_servers", "kmip/get_server", "kmip/add_server",
		"kmip/update_server", "kmip/promote_server", "kmip/delete_server",
	}
	storageClassEndpoints = []string{
		"storage_class/list", "storage_class/create", "storage_class/info",
		"storage_class/update", "storage_class/default/get", "storage_class/default/update",
	}
	faultDomainEndpoints = []string{
		"storage_fault_domain/list", "storage_fault_domain/info",
		"storage_fault_domain/create", "storage_fault_domain/update",
	}
)

// Why each group is not served.
const (
	kmipMissing = "KMIP key servers are not implemented by Quarry: it has no KMIP client " +
		"and keeps no keys in an external key manager; server-side encryption uses the server's own key"
	storageClassMissing = "storage classes are not implemented by Quarry: storage classes are part of " +
		"storage components, which come with scale-out mode"
	faultDomainMissing = "storage fault domains are not implemented by Quarry: fault domains are part of " +
		"storage components, which come with scale-out mode"
)

// registerNotImplemented routes the known endpoints Quarry does not serve.
// They are admin only, as the real ones would be: a user learns nothing
// from them but 403.
func (h *Handler) registerNotImplemented() {
	groups := []struct {
		names []string
		why   string
	}{
		{kmipEndpoints, kmipMissing},
		{storageClassEndpoints, storageClassMissing},
		{faultDomainEndpoints, faultDomainMissing},
	}
	for _, g := range groups {
		why := g.why
		for _, name := range g.names {
			h.addJSON(name, adminOnly, func(context.Context, *call) (any, error) {
				return nil, notImplemented("%s", why)
			})
		}
	}
}

// maxPathInMessage bounds how much of an unknown path an answer repeats.
const maxPathInMessage = 200

// isMAPIPath says whether path is under the MAPI's prefixes, where an
// unknown path is an endpoint Quarry does not implement.
func isMAPIPath(path string) bool {
	return strings.HasPrefix(path, basePath) || strings.HasPrefix(path, mirrorPath)
}

// serveUnknown answers a path under /mapi/v1/ or /v1/ that no endpoint
// serves: 501 naming the path, whatever the credentials. Checking the
// token first would add nothing: the answer holds no data, only the path
// the caller sent, and it is the same for everyone, so it reveals neither
// which users exist nor whether a token is good. The log line names the
// user when the token is valid, to tell an old client from a probe.
func (h *Handler) serveUnknown(w http.ResponseWriter, r *http.Request) {
	// The access log line of the 501 names the user when the token is
	// good; the answer does not depend on it.
	if p, err := h.authenticate(r); err == nil {
		noteUser(r.Context(), p)
	}
	writeError(w, r, notImplemented("%s is not implemented by Quarry", clip(r.URL.Path, maxPathInMessage)))
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
