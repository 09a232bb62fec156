package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqlite"
)

// newSQLiteService returns a Service over a real SQLite metadata store and a
// key file in a temp directory, wired as the server wires them.
func newSQLiteService(t *testing.T) *auth.Service {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	key, err := auth.LoadOrCreateKey(filepath.Join(dir, "seal.key"))
	if err != nil {
		t.Fatalf("LoadOrCreateKey: %v", err)
	}
	sealer, err := auth.NewSealer(key)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return auth.NewService(store, sealer)
}

func TestServiceOnSQLite(t *testing.T) {
	ctx := context.Background()
	s := newSQLiteService(t)

	root, err := s.Bootstrap(ctx, auth.RootConfig{})
	if err != nil || root == nil {
		t.Fatalf("Bootstrap = %+v, %v", root, err)
	}
	if again, err := s.Bootstrap(ctx, auth.RootConfig{}); err != nil || again != nil {
		t.Fatalf("second Bootstrap = %+v, %v; want nil, nil", again, err)
	}
	if p, err := s.Authenticate(ctx, root.User, root.Password); err != nil || !p.Admin() {
		t.Fatalf("Authenticate(root) = %+v, %v", p, err)
	}

	alice, err := s.CreateUser(ctx, "alice", "alice-password", meta.RoleUser)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if _, err := s.CreateUser(ctx, "alice", "alice-password", meta.RoleUser); !errors.Is(err, auth.ErrUserExists) {
		t.Fatalf("duplicate CreateUser: err = %v, want ErrUserExists", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "wrong-password"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("Authenticate with a wrong password: err = %v, want ErrBadCredentials", err)
	}
	ak, sk, err := s.CreateAccessKey(ctx, alice.ID)
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	secret, p, err := s.LookupAccessKey(ctx, ak)
	if err != nil || secret != sk || p.UserID != alice.ID || p.Admin() {
		t.Fatalf("LookupAccessKey = %q, %+v, %v; want alice's secret", secret, p, err)
	}
	if keys, err := s.ListAccessKeys(ctx, alice.ID); err != nil || len(keys) != 1 || keys[0].AccessKey != ak {
		t.Fatalf("ListAccessKeys = %+v, %v; want [%s]", keys, err, ak)
	}
	if users, err := s.ListUsers(ctx, 0, 10); err != nil || len(users) != 2 {
		t.Fatalf("ListUsers = %+v, %v; want admin and alice", users, err)
	}

	if err := s.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, _, err := s.LookupAccessKey(ctx, ak); !errors.Is(err, auth.ErrNoSuchAccessKey) {
		t.Fatalf("LookupAccessKey after DeleteUser: err = %v, want ErrNoSuchAccessKey", err)
	}
	if _, err := s.Authenticate(ctx, "alice", "alice-password"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("Authenticate after DeleteUser: err = %v, want ErrBadCredentials", err)
	}
	if err := s.DeleteAccessKey(ctx, root.AccessKey); err != nil {
		t.Fatalf("DeleteAccessKey: %v", err)
	}
	if _, _, err := s.LookupAccessKey(ctx, root.AccessKey); !errors.Is(err, auth.ErrNoSuchAccessKey) {
		t.Fatalf("LookupAccessKey after DeleteAccessKey: err = %v, want ErrNoSuchAccessKey", err)
	}
}

func TestUsernamesAreOneNameInAnyCase(t *testing.T) {
	ctx := context.Background()
	s := newSQLiteService(t)
	alice, err := s.CreateUser(ctx, "Alice", "alice-password", meta.RoleUser)
	if err != nil {
		t.Fatalf("CreateUser(Alice): %v", err)
	}
	for _, name := range []string{"alice", "ALICE", "Alice"} {
		if _, err := s.CreateUser(ctx, name, "other-password", meta.RoleAdmin); !errors.Is(err, auth.ErrUserExists) {
			t.Errorf("CreateUser(%s) beside Alice: err = %v, want ErrUserExists", name, err)
		}
	}
	for _, name := range []string{"alice", "ALICE", "aLiCe"} {
		p, err := s.Authenticate(ctx, name, "alice-password")
		if err != nil || p.UserID != alice.ID || p.Username != "Alice" {
			t.Errorf("Authenticate(%s) = %+v, %v; want Alice as created", name, p, err)
		}
	}
	if _, err := s.Authenticate(ctx, "alice", "other-password"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("the refused duplicate's password works: err = %v", err)
	}
}

func TestRefreshTokensRotateAndAReplayRevokesTheWholeFamily(t *testing.T) {
	ctx := context.Background()
	s := newSQLiteService(t)
	u, err := s.CreateUser(ctx, "alice", "alice-password", meta.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	p := auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role}
	now := time.Now()
	f, err := s.StartRefreshFamily(ctx, p, "quarry-cli", now, now.Add(time.Hour))
	if err != nil || f.Generation != 1 || f.ID == "" {
		t.Fatalf("StartRefreshFamily = %+v, %v; want generation 1", f, err)
	}

	got, rotated, err := s.RotateRefreshToken(ctx, f.ID, 1, now, now.Add(2*time.Hour))
	if err != nil || got != p || rotated.Generation != 2 {
		t.Fatalf("first refresh = %+v, %+v, %v; want alice at generation 2", got, rotated, err)
	}
	_, revoked, err := s.RotateRefreshToken(ctx, f.ID, 1, now, now.Add(2*time.Hour))
	if !errors.Is(err, auth.ErrRefreshTokenReused) || revoked == nil || revoked.UserID != u.ID {
		t.Fatalf("replay of generation 1 = %+v, %v; want ErrRefreshTokenReused naming alice's family", revoked, err)
	}
	if _, _, err := s.RotateRefreshToken(ctx, f.ID, 2, now, now.Add(2*time.Hour)); !errors.Is(err, auth.ErrRefreshFamilyGone) {
		t.Fatalf("the newest token after a replay: err = %v, want ErrRefreshFamilyGone", err)
	}
}

func TestRefreshFamiliesEndWithTheirExpiryOrTheirUser(t *testing.T) {
	ctx := context.Background()
	s := newSQLiteService(t)
	u, err := s.CreateUser(ctx, "alice", "alice-password", meta.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	p := auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role}
	now := time.Now()
	start := func(ttl time.Duration) string {
		t.Helper()
		f, err := s.StartRefreshFamily(ctx, p, "quarry-cli", now, now.Add(ttl))
		if err != nil {
			t.Fatal(err)
		}
		return f.ID
	}

	expired := start(time.Minute)
	if _, _, err := s.RotateRefreshToken(ctx, expired, 1, now.Add(time.Minute), now.Add(time.Hour)); !errors.Is(err, auth.ErrRefreshFamilyGone) {
		t.Errorf("refresh at the family's expiry: err = %v, want ErrRefreshFamilyGone", err)
	}

	// A login deletes families that expired before it, without being asked.
	stale := start(time.Minute)
	if _, err := s.StartRefreshFamily(ctx, p, "quarry-cli", now.Add(2*time.Minute), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RotateRefreshToken(ctx, stale, 1, now, now.Add(time.Hour)); !errors.Is(err, auth.ErrRefreshFamilyGone) {
		t.Errorf("a family that expired before a later login is still there: err = %v", err)
	}

	live := start(time.Hour)
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RotateRefreshToken(ctx, live, 1, now, now.Add(time.Hour)); !errors.Is(err, auth.ErrRefreshFamilyGone) {
		t.Errorf("refresh of a deleted user's family: err = %v, want ErrRefreshFamilyGone", err)
	}
	if _, err := s.StartRefreshFamily(ctx, p, "quarry-cli", now, now.Add(time.Hour)); !errors.Is(err, auth.ErrNoSuchUser) {
		t.Errorf("a login family for a deleted user: err = %v, want ErrNoSuchUser", err)
	}
}
