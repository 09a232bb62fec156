package mapi

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/meta"
)

// KeycloakUsersPath is where a Keycloak realm named vsp-object lists its
// users for administrators; the vendor's clients read it to map user names
// to UUIDs, which user/lookup maps to MAPI ids.
const KeycloakUsersPath = "/ui/auth/admin/realms/vsp-object/users"

// keycloakDefaultMax is how many users Keycloak lists when max is not
// given.
const keycloakDefaultMax = 100

// keycloakUser is a user as Keycloak's admin API shows one
// (UserRepresentation). Quarry's users have no e-mail, names, second
// factor or required actions; attributes carry the MAPI id and role.
type keycloakUser struct {
	ID                         string              `json:"id"`
	CreatedTimestamp           int64               `json:"createdTimestamp"`
	Username                   string              `json:"username"`
	Enabled                    bool                `json:"enabled"`
	Totp                       bool                `json:"totp"`
	EmailVerified              bool                `json:"emailVerified"`
	Attributes                 map[string][]string `json:"attributes"`
	DisableableCredentialTypes []string            `json:"disableableCredentialTypes"`
	RequiredActions            []string            `json:"requiredActions"`
	NotBefore                  int64               `json:"notBefore"`
}

// keycloakQuery is the part of Keycloak's GET users query Quarry honours.
type keycloakQuery struct {
	first, max int
	username   string
	search     string
	exact      bool
	// none is set when a filter can match no Quarry user (email,
	// firstName, lastName, enabled=false).
	none bool
}

// serveKeycloakUsers answers GET KeycloakUsersPath: a JSON array of users,
// sorted by username as Keycloak sorts them. It takes an admin's bearer
// token and, being a GET, no XSRF token (Keycloak's admin API has none).
func (h *Handler) serveKeycloakUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := h.authenticate(r)
	if err != nil {
		return err
	}
	if !p.Admin() {
		return forbidden("only an administrator may list users")
	}
	q, err := parseKeycloakQuery(r.URL.Query())
	if err != nil {
		return err
	}
	out, err := h.keycloakUsers(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) keycloakUsers(ctx context.Context, q keycloakQuery) ([]keycloakUser, error) {
	out := []keycloakUser{}
	if q.none {
		return out, nil
	}
	users, err := h.allUsers(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Username < users[j].Username })
	skipped := 0
	for i := range users {
		u := &users[i]
		if !q.matches(u.Username) {
			continue
		}
		if skipped < q.first {
			skipped++
			continue
		}
		if q.max >= 0 && len(out) == q.max {
			break
		}
		id, err := h.uuids.of(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, newKeycloakUser(u, id))
	}
	return out, nil
}

func newKeycloakUser(u *meta.User, id uuidBytes) keycloakUser {
	return keycloakUser{
		ID:                         id.String(),
		CreatedTimestamp:           u.CreatedAt.UnixMilli(),
		Username:                   u.Username,
		Enabled:                    true,
		Attributes:                 map[string][]string{"mapiUserId": {strconv.FormatInt(u.ID, 10)}, "role": {string(u.Role)}},
		DisableableCredentialTypes: []string{},
		RequiredActions:            []string{},
	}
}

// parseKeycloakQuery reads first, max, username, search and exact as
// Keycloak does: first skips, max bounds (100 when absent, none when
// negative), username matches a part of the name (all of it with
// exact=true), search a prefix ("*x" any part, "\"x\"" all of it), all
// without regard to case.
func parseKeycloakQuery(v url.Values) (keycloakQuery, error) {
	q := keycloakQuery{max: keycloakDefaultMax}
	for _, p := range []struct {
		name string
		to   *int
	}{{"first", &q.first}, {"max", &q.max}} {
		s := v.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, invalid("%s must be an integer, not %q", p.name, clip(s, 32))
		}
		*p.to = n
	}
	if q.first < 0 {
		q.first = 0
	}
	if s := v.Get("exact"); s != "" {
		exact, err := strconv.ParseBool(s)
		if err != nil {
			return q, invalid("exact must be true or false, not %q", clip(s, 32))
		}
		q.exact = exact
	}
	q.username = strings.ToLower(v.Get("username"))
	q.search = strings.ToLower(strings.TrimSpace(v.Get("search")))
	for _, name := range []string{"email", "firstName", "lastName"} {
		if v.Get(name) != "" {
			q.none = true
		}
	}
	if s := v.Get("enabled"); s != "" {
		enabled, err := strconv.ParseBool(s)
		if err != nil {
			return q, invalid("enabled must be true or false, not %q", clip(s, 32))
		}
		q.none = q.none || !enabled
	}
	return q, nil
}

// matches says whether a username passes the username and search filters.
func (q keycloakQuery) matches(username string) bool {
	name := strings.ToLower(username)
	if q.username != "" {
		if q.exact && name != q.username || !q.exact && !strings.Contains(name, q.username) {
			return false
		}
	}
	if q.search == "" || q.search == "*" {
		return true
	}
	s := q.search
	if len(s) >= 2 && strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
		return name == s[1:len(s)-1]
	}
	if strings.HasPrefix(s, "*") {
		return strings.Contains(name, strings.Trim(s, "*"))
	}
	return strings.HasPrefix(name, strings.TrimSuffix(s, "*"))
}
