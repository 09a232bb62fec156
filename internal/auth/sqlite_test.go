package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

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
