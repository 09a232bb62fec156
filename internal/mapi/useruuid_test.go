package mapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

func TestVersion5UUIDsMatchTheRFCExample(t *testing.T) {
	// RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
	dns, _ := parseUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if got := nameUUID(dns, "www.example.com").String(); got != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Fatalf("got %s", got)
	}
	for _, bad := range []string{"", "2ed6657d-e927-568b-95e1-2665a8aea6a", "2ed6657de927568b95e12665a8aea6a2",
		"2ed6657d-e927-568b-95e1-2665a8aea6ag", "2ed6657d_e927-568b-95e1-2665a8aea6a2"} {
		if _, ok := parseUUID(bad); ok {
			t.Errorf("parseUUID(%q) accepted", bad)
		}
	}
	if u, ok := parseUUID("2ED6657D-E927-568B-95E1-2665A8AEA6A2"); !ok || u.String() != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Error("an upper-case UUID is not read")
	}
}

// keycloakUserItem is an item of the Keycloak-style listing.
type keycloakUserItem struct {
	ID               string              `json:"id"`
	Username         string              `json:"username"`
	Enabled          bool                `json:"enabled"`
	CreatedTimestamp int64               `json:"createdTimestamp"`
	Attributes       map[string][]string `json:"attributes"`
}

func (h *harness) keycloakUsers(bearer, query string) ([]keycloakUserItem, response) {
	h.t.Helper()
	r := h.get(KeycloakUsersPath+query, bearer, "")
	var out []keycloakUserItem
	if r.status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.raw), &out); err != nil {
			h.t.Fatalf("not a JSON array: %s", r.raw)
		}
	}
	return out, r
}

func usernames(users []keycloakUserItem) string {
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Username
	}
	return strings.Join(names, ",")
}

func TestTheKeycloakListingGivesEachUserAStableUUIDThatLookupMapsToItsID(t *testing.T) {
	h := newHarness(t)
	users, r := h.keycloakUsers(h.token("admin"), "")
	wantOK(t, r)
	if usernames(users) != "admin,alice,bob" {
		t.Fatalf("listing %s, want admin, alice and bob by username", r.raw)
	}
	seen := map[string]bool{}
	for _, u := range users {
		parsed, ok := parseUUID(u.ID)
		if !ok || parsed.String() != u.ID || u.ID[14] != '5' || seen[u.ID] {
			t.Fatalf("id %q: want a distinct lower-case version 5 UUID", u.ID)
		}
		seen[u.ID] = true
		if !u.Enabled || time.Since(time.UnixMilli(u.CreatedTimestamp)) > time.Hour || u.Attributes["mapiUserId"][0] != itoa(h.ids[u.Username]) {
			t.Fatalf("user %+v", u)
		}
		r := h.call("admin", "user/lookup", `{"id":"`+strings.ToUpper(u.ID)+`"}`)
		wantOK(t, r)
		if int64(r.num("id", "id")) != h.ids[u.Username] || r.str("idpId") != u.ID {
			t.Fatalf("lookup of %s's UUID: %s", u.Username, r.raw)
		}
	}

	t.Run("the UUIDs stay the same for another node", func(t *testing.T) {
		other := New(h.handler.cfg)
		for _, u := range users {
			got, err := other.uuids.of(h.ctx, h.ids[u.Username])
			if err != nil || got.String() != u.ID {
				t.Fatalf("another node gives %s the UUID %s (%v), want %s", u.Username, got, err, u.ID)
			}
		}
	})

	t.Run("a user looks up itself and no one else", func(t *testing.T) {
		byName := map[string]string{}
		for _, u := range users {
			byName[u.Username] = u.ID
		}
		r := h.call("alice", "user/lookup", `{"id":"`+byName["alice"]+`"}`)
		wantOK(t, r)
		if int64(r.num("id", "id")) != h.ids["alice"] {
			t.Fatalf("alice looking up herself: %s", r.raw)
		}
		wantError(t, h.call("alice", "user/lookup", `{"id":"`+byName["bob"]+`"}`), 403, CodeForbidden, "administrator")
		wantError(t, h.call("alice", "user/lookup", `{"id":"00000000-0000-5000-8000-000000000000"}`), 403, CodeForbidden)
	})

	t.Run("a user created after the listing is found, a deleted one is not", func(t *testing.T) {
		h.addUser("carol", meta.RoleUser)
		carol, err := h.handler.uuids.of(h.ctx, h.ids["carol"])
		if err != nil {
			t.Fatal(err)
		}
		r := h.call("admin", "user/lookup", `{"id":"`+carol.String()+`"}`)
		wantOK(t, r)
		if int64(r.num("id", "id")) != h.ids["carol"] {
			t.Fatalf("lookup of carol: %s", r.raw)
		}
		if err := h.users.DeleteUser(h.ctx, h.ids["carol"]); err != nil {
			t.Fatal(err)
		}
		wantError(t, h.call("admin", "user/lookup", `{"id":"`+carol.String()+`"}`), 404, CodeNotFound, carol.String())
	})

	t.Run("bad ids are 400 and unknown ones 404", func(t *testing.T) {
		for _, tt := range []struct {
			body   string
			status int
			msg    string
		}{
			{`{}`, 400, "id is required"},
			{`{"id":""}`, 400, "id is required"},
			{`{"id":17}`, 400, "id must be a string"},
			{`{"id":"not-a-uuid"}`, 400, "must be a UUID"},
			{`{"id":"e696b93c-840a-4ba4-858e-4086a6034a5c"}`, 404, "no user has the UUID e696b93c-840a-4ba4-858e-4086a6034a5c"},
		} {
			r := h.call("admin", "user/lookup", tt.body)
			code := CodeInvalidRequest
			if tt.status == 404 {
				code = CodeNotFound
			}
			wantError(t, r, tt.status, code, tt.msg)
		}
	})
}

func TestTheKeycloakListingTakesAnAdminsTokenAndKeycloaksQueryParameters(t *testing.T) {
	h := newHarness(t)
	admin := h.token("admin")
	h.addUser("Alicia", meta.RoleUser)
	tests := []struct {
		query, want string
	}{
		{"?username=ali", "Alicia,alice"},
		{"?username=ALICE&exact=true", "alice"},
		{"?username=ali&exact=false", "Alicia,alice"},
		{"?search=b", "bob"},
		{"?search=*lic*", "Alicia,alice"},
		{`?search="alice"`, "alice"},
		{"?search=*", "Alicia,admin,alice,bob"},
		{"?first=1&max=2", "admin,alice"},
		{"?first=-5&max=1", "Alicia"},
		{"?max=0", ""},
		{"?max=-1", "Alicia,admin,alice,bob"},
		{"?email=a@example.com", ""},
		{"?enabled=false", ""},
		{"?enabled=true&briefRepresentation=true", "Alicia,admin,alice,bob"},
	}
	for _, tt := range tests {
		users, r := h.keycloakUsers(admin, tt.query)
		wantOK(t, r)
		if got := usernames(users); got != tt.want {
			t.Errorf("%s lists %q, want %q", tt.query, got, tt.want)
		}
	}
	for _, q := range []string{"?max=ten", "?first=1.5", "?exact=maybe"} {
		_, r := h.keycloakUsers(admin, q)
		wantError(t, r, 400, CodeInvalidRequest)
	}
	t.Run("more than 100 users: 100 unless max says otherwise, as Keycloak", func(t *testing.T) {
		// Straight into the store: hashing 100 passwords would take seconds.
		err := h.store.Update(h.ctx, func(tx meta.Tx) error {
			for i := 0; i < 100; i++ {
				u := &meta.User{Username: "bulk" + itoa(int64(1000+i)), PasswordHash: "unused", Role: meta.RoleUser, CreatedAt: time.Now()}
				if err := tx.CreateUser(u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if users, _ := h.keycloakUsers(admin, ""); len(users) != 100 {
			t.Fatalf("default listing has %d users", len(users))
		}
		if users, _ := h.keycloakUsers(admin, "?max=1000"); len(users) != 104 {
			t.Fatalf("max=1000 lists %d users", len(users))
		}
	})

	_, r := h.keycloakUsers(h.token("alice"), "")
	wantError(t, r, 403, CodeForbidden, "administrator")
	_, r = h.keycloakUsers("", "")
	wantError(t, r, 401, CodeUnauthorized)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Fatal("a 401 without WWW-Authenticate")
	}
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+KeycloakUsersPath, nil)
	wantError(t, h.send(req), 405, CodeMethodNotAllowed)
}

func TestATokenFromAdminCLIListsUsers(t *testing.T) {
	h := newHarness(t)
	form := passwordForm("admin", testPassword)
	form.Set("client_id", "admin-cli")
	r := h.tokenRequest(form)
	wantOK(t, r)
	users, lr := h.keycloakUsers(r.str("access_token"), "")
	wantOK(t, lr)
	if len(users) != 3 {
		t.Fatalf("listing %s", lr.raw)
	}
}
