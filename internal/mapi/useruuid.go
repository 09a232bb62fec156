package mapi

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
)

// Users' UUIDs. The vendor's system keeps its users in Keycloak, which
// names each by a UUID, and its clients map that UUID to the numeric MAPI
// id with user/lookup. Quarry derives a user's UUID from the user's id: a
// name-based (version 5) UUID of the id in a namespace made at random once
// per installation and kept in the settings. So a UUID is stable across
// restarts and nodes, needs no column or migration, differs between
// installations, and never comes to name another user (ids are never
// reused). The reverse, UUID to id, is a scan of the users, cached.

// settingUserNamespace holds the namespace UUID of users' UUIDs.
const settingUserNamespace = "mapi.user_uuid_namespace"

// uuidBytes is a UUID's binary form.
type uuidBytes [16]byte

func (u uuidBytes) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// parseUUID reads the 8-4-4-4-12 hex form in either case.
func parseUUID(s string) (uuidBytes, bool) {
	var u uuidBytes
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	digits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(digits)); err != nil {
		return u, false
	}
	return u, true
}

// newRandomUUID returns a version 4 UUID.
func newRandomUUID() (uuidBytes, error) {
	var u uuidBytes
	if _, err := rand.Read(u[:]); err != nil {
		return u, err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u, nil
}

// nameUUID is the version 5 UUID of name in namespace ns (RFC 9562).
func nameUUID(ns uuidBytes, name string) uuidBytes {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u uuidBytes
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

// userUUIDs derives users' UUIDs and finds users by theirs.
type userUUIDs struct {
	store meta.Store

	mu   sync.Mutex
	ns   *uuidBytes          // loaded on first use
	byID map[uuidBytes]int64 // UUIDs of users seen, to their ids
}

func newUserUUIDs(store meta.Store) *userUUIDs {
	return &userUUIDs{store: store, byID: make(map[uuidBytes]int64)}
}

// namespace returns the installation's namespace, making it the first
// time. Get and create share one transaction, so nodes starting together
// all end up with the one that was stored.
func (x *userUUIDs) namespace(ctx context.Context) (uuidBytes, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ns != nil {
		return *x.ns, nil
	}
	var ns uuidBytes
	err := x.store.Update(ctx, func(tx meta.Tx) error {
		stored, err := tx.GetSetting(settingUserNamespace)
		if err == nil {
			var ok bool
			if ns, ok = parseUUID(stored); !ok {
				return fmt.Errorf("setting %s holds %q, not a UUID", settingUserNamespace, stored)
			}
			return nil
		}
		if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		if ns, err = newRandomUUID(); err != nil {
			return err
		}
		return tx.PutSetting(settingUserNamespace, ns.String())
	})
	if err != nil {
		return uuidBytes{}, fmt.Errorf("load user UUID namespace: %w", err)
	}
	x.ns = &ns
	return ns, nil
}

// of returns user id's UUID.
func (x *userUUIDs) of(ctx context.Context, id int64) (uuidBytes, error) {
	ns, err := x.namespace(ctx)
	if err != nil {
		return uuidBytes{}, err
	}
	return nameUUID(ns, strconv.FormatInt(id, 10)), nil
}

// remember notes that u is user id's UUID.
func (x *userUUIDs) remember(u uuidBytes, id int64) {
	x.mu.Lock()
	x.byID[u] = id
	x.mu.Unlock()
}

// forget drops a UUID whose user is gone.
func (x *userUUIDs) forget(u uuidBytes) {
	x.mu.Lock()
	delete(x.byID, u)
	x.mu.Unlock()
}

// cached returns the id a UUID was last seen with.
func (x *userUUIDs) cached(u uuidBytes) (int64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	id, ok := x.byID[u]
	return id, ok
}

// allUsers lists every user in id order, remembering their UUIDs.
func (h *Handler) allUsers(ctx context.Context) ([]meta.User, error) {
	ns, err := h.uuids.namespace(ctx)
	if err != nil {
		return nil, err
	}
	const page = 1000
	var all []meta.User
	var after int64
	for {
		users, err := h.cfg.Users.ListUsers(ctx, after, page)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			h.uuids.remember(nameUUID(ns, strconv.FormatInt(u.ID, 10)), u.ID)
		}
		all = append(all, users...)
		if len(users) < page {
			return all, nil
		}
		after = users[len(users)-1].ID
	}
}

// userByUUID returns the user whose UUID is u, or auth.ErrNoSuchUser.
func (h *Handler) userByUUID(ctx context.Context, u uuidBytes) (*meta.User, error) {
	if id, ok := h.uuids.cached(u); ok {
		user, err := h.cfg.Users.GetUser(ctx, id)
		if err == nil {
			return user, nil
		}
		if !errors.Is(err, auth.ErrNoSuchUser) {
			return nil, err
		}
		h.uuids.forget(u)
		return nil, err
	}
	if _, err := h.allUsers(ctx); err != nil {
		return nil, err
	}
	id, ok := h.uuids.cached(u)
	if !ok {
		return nil, errNoUserWithUUID
	}
	return h.cfg.Users.GetUser(ctx, id)
}

// errNoUserWithUUID says no user has a UUID.
var errNoUserWithUUID = errors.New("no user has this UUID")

type lookupRequest struct {
	ID *string `json:"id"`
}

type lookupResponse struct {
	ID    idJSON `json:"id"`
	IdpID string `json:"idpId"`
}

// lookupUser maps a user's UUID (the Keycloak id the vendor's clients get
// from the admin users listing) to the numeric MAPI id. Admins look up
// anyone; a user only itself, and is refused before the UUID is looked
// up, so the answer says nothing about which UUIDs exist.
func (h *Handler) lookupUser(ctx context.Context, c *call) (any, error) {
	var req lookupRequest
	if err := decodeJSON(c.body, &req); err != nil {
		return nil, err
	}
	if req.ID == nil || *req.ID == "" {
		return nil, invalid("id is required: the user's UUID")
	}
	u, ok := parseUUID(*req.ID)
	if !ok {
		return nil, invalid("id must be a UUID (8-4-4-4-12 hex digits), not %q", clip(*req.ID, 64))
	}
	own, err := h.uuids.of(ctx, c.p.UserID)
	if err != nil {
		return nil, err
	}
	if u == own {
		return lookupResponse{ID: idJSON{ID: c.p.UserID}, IdpID: u.String()}, nil
	}
	if !c.p.Admin() {
		return nil, forbidden("only an administrator may look up another user")
	}
	user, err := h.userByUUID(ctx, u)
	if errors.Is(err, errNoUserWithUUID) || errors.Is(err, auth.ErrNoSuchUser) {
		return nil, notFound("no user has the UUID %s", u)
	}
	if err != nil {
		return nil, err
	}
	return lookupResponse{ID: idJSON{ID: user.ID}, IdpID: u.String()}, nil
}
