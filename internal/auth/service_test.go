package auth

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// testService returns a Service over store with a clock the test advances.
func testService(t *testing.T, store meta.Store) (*Service, *time.Time) {
	t.Helper()
	s := NewService(store, testSealer(t))
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s.now = func() time.Time { return now }
	return s, &now
}

func mustCreateUser(t *testing.T, s *Service, name string, role meta.Role) *meta.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), name, "password-"+name, role)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

func TestCreateUser(t *testing.T) {
	ctx := context.Background()
	s, _ := testService(t, newFakeStore())
	u := mustCreateUser(t, s, "alice", meta.RoleUser)
	if u.ID == 0 || u.Role != meta.RoleUser || u.PasswordHash == "" || strings.Contains(u.PasswordHash, "password-alice") {
		t.Fatalf("created user %+v: want an id, the role and a password hash", u)
	}
	tests := []struct {
		name, username, password string
		role                     meta.Role
		want                     error
	}{
		{"a taken name is refused", "alice", "longenough", meta.RoleUser, ErrUserExists},
		{"an invalid name is refused", "al ice", "longenough", meta.RoleUser, ErrInvalidUsername},
		{"a short password is refused", "bob", "short", meta.RoleUser, ErrInvalidPassword},
		{"an unknown role is refused", "bob", "longenough", meta.Role("ROOT"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, tc.username, tc.password, tc.role)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("CreateUser: err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := s.GetUserByName(ctx, "bob"); !errors.Is(err, ErrNoSuchUser) {
		t.Fatalf("a refused user was stored: GetUserByName err = %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	s, _ := testService(t, newFakeStore())
	u := mustCreateUser(t, s, "alice", meta.RoleAdmin)
	p, err := s.Authenticate(ctx, "alice", "password-alice")
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if want := (Principal{UserID: u.ID, Username: "alice", Role: meta.RoleAdmin}); p != want {
		t.Fatalf("principal = %+v, want %+v", p, want)
	}
	tests := []struct{ name, username, password string }{
		{"a wrong password", "alice", "password-bob"},
		{"an unknown user", "mallory", "password-alice"},
		{"an empty password", "alice", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is bad credentials", func(t *testing.T) {
			if _, err := s.Authenticate(ctx, tc.username, tc.password); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("Authenticate: err = %v, want ErrBadCredentials", err)
			}
		})
	}
}

func TestCreatedAccessKeyLooksUpToItsSecretAndOwner(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	s, _ := testService(t, store)
	u := mustCreateUser(t, s, "alice", meta.RoleUser)
	ak, sk, err := s.CreateAccessKey(ctx, u.ID)
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	if len(ak) != 20 || len(sk) != 40 {
		t.Fatalf("key pair lengths %d/%d, want 20/40", len(ak), len(sk))
	}
	stored := store.keys[ak]
	if bytes.Contains(stored.SecretEnc, []byte(sk)) {
		t.Fatal("the secret is stored in clear")
	}
	secret, p, err := s.LookupAccessKey(ctx, ak)
	if err != nil {
		t.Fatalf("LookupAccessKey: %v", err)
	}
	if secret != sk || p != (Principal{UserID: u.ID, Username: "alice", Role: meta.RoleUser}) {
		t.Fatalf("LookupAccessKey = %q, %+v; want the issued secret and alice", secret, p)
	}
	if _, _, err := s.CreateAccessKey(ctx, 999); !errors.Is(err, ErrNoSuchUser) {
		t.Fatalf("CreateAccessKey for a missing user: err = %v, want ErrNoSuchUser", err)
	}
}

func TestAddAccessKey(t *testing.T) {
	ctx := context.Background()
	s, _ := testService(t, newFakeStore())
	u := mustCreateUser(t, s, "root", meta.RoleAdmin)
	if err := s.AddAccessKey(ctx, u.ID, "rootkey", "rootsecret"); err != nil {
		t.Fatalf("AddAccessKey: %v", err)
	}
	if secret, _, err := s.LookupAccessKey(ctx, "rootkey"); err != nil || secret != "rootsecret" {
		t.Fatalf("LookupAccessKey = %q, %v; want the configured secret", secret, err)
	}
	tests := []struct {
		name           string
		userID         int64
		access, secret string
		want           error
	}{
		{"a taken access key is refused", u.ID, "rootkey", "othersecret", ErrAccessKeyExists},
		{"an invalid access key is refused", u.ID, "a/b", "othersecret", ErrInvalidAccessKey},
		{"a short secret is refused", u.ID, "newkey", "short", ErrInvalidAccessKey},
		{"a missing user is refused", 999, "newkey", "othersecret", ErrNoSuchUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.AddAccessKey(ctx, tc.userID, tc.access, tc.secret); !errors.Is(err, tc.want) {
				t.Fatalf("AddAccessKey: err = %v, want %v", err, tc.want)
			}
		})
	}
	if secret, _, _ := s.LookupAccessKey(ctx, "rootkey"); secret != "rootsecret" {
		t.Fatalf("a refused AddAccessKey changed the stored secret to %q", secret)
	}
}

func TestLookupAccessKeyOfUnknownKeyOrGoneUser(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	s, _ := testService(t, store)
	if _, _, err := s.LookupAccessKey(ctx, "NOSUCHKEY"); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Fatalf("unknown key: err = %v, want ErrNoSuchAccessKey", err)
	}
	// A key row whose user vanished (deleted by another node, say).
	sealed, _ := s.sealer.Seal([]byte("orphansecret"))
	store.keys["ORPHAN"] = meta.AccessKey{AccessKey: "ORPHAN", UserID: 42, SecretEnc: sealed}
	if _, _, err := s.LookupAccessKey(ctx, "ORPHAN"); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Fatalf("key of a missing user: err = %v, want ErrNoSuchAccessKey", err)
	}
}

func TestLookupAccessKeyIsCachedBriefly(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	s, now := testService(t, store)
	u := mustCreateUser(t, s, "alice", meta.RoleUser)
	ak, sk, _ := s.CreateAccessKey(ctx, u.ID)

	lookup := func() {
		t.Helper()
		if secret, _, err := s.LookupAccessKey(ctx, ak); err != nil || secret != sk {
			t.Fatalf("LookupAccessKey = %q, %v", secret, err)
		}
	}
	lookup()
	views := store.viewCount()
	lookup()
	if got := store.viewCount(); got != views {
		t.Fatalf("a repeated lookup read the store (%d views, want %d)", got, views)
	}
	*now = now.Add(keyCacheTTL)
	lookup()
	if got := store.viewCount(); got != views+1 {
		t.Fatalf("a lookup after the TTL made %d reads, want 1", got-views)
	}
}

func TestDeletesThroughTheServiceTakeEffectAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		delete func(s *Service, userID int64, ak string) error
	}{
		{"deleting the access key", func(s *Service, _ int64, ak string) error {
			return s.DeleteAccessKey(context.Background(), ak)
		}},
		{"deleting its user", func(s *Service, userID int64, _ string) error {
			return s.DeleteUser(context.Background(), userID)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name+" stops a cached key at once", func(t *testing.T) {
			ctx := context.Background()
			s, _ := testService(t, newFakeStore())
			u := mustCreateUser(t, s, "alice", meta.RoleUser)
			ak, _, _ := s.CreateAccessKey(ctx, u.ID)
			if _, _, err := s.LookupAccessKey(ctx, ak); err != nil {
				t.Fatalf("LookupAccessKey: %v", err)
			}
			if err := tc.delete(s, u.ID, ak); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if _, _, err := s.LookupAccessKey(ctx, ak); !errors.Is(err, ErrNoSuchAccessKey) {
				t.Fatalf("LookupAccessKey after delete: err = %v, want ErrNoSuchAccessKey", err)
			}
		})
	}
}

func TestKeyCacheDropsALookupThatRacedAnInvalidation(t *testing.T) {
	c := newKeyCache()
	now := time.Now()
	gen := c.generation() // a lookup starts reading the database...
	c.invalidateKey("AK") // ...the key is deleted meanwhile...
	c.put("AK", keyCacheEntry{secret: "s", expires: now.Add(time.Minute)}, gen, now)
	if _, ok := c.get("AK", now); ok {
		t.Fatal("the stale lookup was cached after the invalidation")
	}
	c.put("AK", keyCacheEntry{secret: "s", expires: now.Add(time.Minute)}, c.generation(), now)
	if _, ok := c.get("AK", now); !ok {
		t.Fatal("a lookup with a current generation was not cached")
	}
}

func TestDeletingWhatIsAbsentSaysSo(t *testing.T) {
	ctx := context.Background()
	s, _ := testService(t, newFakeStore())
	if err := s.DeleteAccessKey(ctx, "NOSUCHKEY"); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Errorf("DeleteAccessKey: err = %v, want ErrNoSuchAccessKey", err)
	}
	if err := s.DeleteUser(ctx, 999); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("DeleteUser: err = %v, want ErrNoSuchUser", err)
	}
	if _, err := s.GetUser(ctx, 999); !errors.Is(err, ErrNoSuchUser) {
		t.Errorf("GetUser: err = %v, want ErrNoSuchUser", err)
	}
}

func TestListings(t *testing.T) {
	ctx := context.Background()
	s, _ := testService(t, newFakeStore())
	alice := mustCreateUser(t, s, "alice", meta.RoleUser)
	bob := mustCreateUser(t, s, "bob", meta.RoleUser)
	ak1, _, _ := s.CreateAccessKey(ctx, alice.ID)
	ak2, _, _ := s.CreateAccessKey(ctx, alice.ID)
	_, _, _ = s.CreateAccessKey(ctx, bob.ID)

	keys, err := s.ListAccessKeys(ctx, alice.ID)
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	got := map[string]bool{}
	for _, k := range keys {
		if k.UserID != alice.ID || k.CreatedAt.IsZero() {
			t.Errorf("listed key %+v: want alice's, with a creation time", k)
		}
		got[k.AccessKey] = true
	}
	if len(keys) != 2 || !got[ak1] || !got[ak2] {
		t.Fatalf("ListAccessKeys = %+v, want %s and %s", keys, ak1, ak2)
	}

	users, err := s.ListUsers(ctx, 0, 10)
	if err != nil || len(users) != 2 || users[0].Username != "alice" || users[1].Username != "bob" {
		t.Fatalf("ListUsers = %+v, %v; want alice, bob", users, err)
	}
	users, _ = s.ListUsers(ctx, alice.ID, 10)
	if len(users) != 1 || users[0].ID != bob.ID {
		t.Fatalf("ListUsers after alice = %+v, want bob", users)
	}
	if u, err := s.GetUser(ctx, bob.ID); err != nil || u.Username != "bob" {
		t.Fatalf("GetUser = %+v, %v; want bob", u, err)
	}
}
