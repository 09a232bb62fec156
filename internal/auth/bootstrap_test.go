package auth

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/quarrylabs/quarry/internal/meta"
)

// assertCredentialsWork checks that the returned credentials log in and sign
// as an admin.
func assertCredentialsWork(t *testing.T, s *Service, c *RootCredentials) {
	t.Helper()
	ctx := context.Background()
	p, err := s.Authenticate(ctx, c.User, c.Password)
	if err != nil || !p.Admin() || p.Username != c.User {
		t.Fatalf("Authenticate(root) = %+v, %v; want the admin", p, err)
	}
	secret, kp, err := s.LookupAccessKey(ctx, c.AccessKey)
	if err != nil || secret != c.SecretKey || kp != p {
		t.Fatalf("LookupAccessKey(root) = %q, %+v, %v; want the root secret and admin", secret, kp, err)
	}
}

func TestBootstrapOnAnEmptyStoreGeneratesTheAdmin(t *testing.T) {
	s, _ := testService(t, newFakeStore())
	c, err := s.Bootstrap(context.Background(), RootConfig{})
	if err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	if c == nil || c.User != "admin" || !c.Generated {
		t.Fatalf("Bootstrap = %+v, want generated credentials for admin", c)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{24}$`).MatchString(c.Password) {
		t.Errorf("generated password %q is not 24 URL-safe characters", c.Password)
	}
	if !regexp.MustCompile(`^[A-Z0-9]{20}$`).MatchString(c.AccessKey) || len(c.SecretKey) != 40 {
		t.Errorf("generated key pair %q/%d chars, want AWS-style", c.AccessKey, len(c.SecretKey))
	}
	assertCredentialsWork(t, s, c)
}

func TestBootstrapUsesTheConfiguredRoot(t *testing.T) {
	s, _ := testService(t, newFakeStore())
	cfg := RootConfig{User: "root", Password: "configured-pw", AccessKey: "rootaccess", SecretKey: "rootsecret123"}
	c, err := s.Bootstrap(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	want := RootCredentials{User: "root", Password: "configured-pw", AccessKey: "rootaccess", SecretKey: "rootsecret123"}
	if c == nil || *c != want {
		t.Fatalf("Bootstrap = %+v, want %+v", c, want)
	}
	assertCredentialsWork(t, s, c)
}

func TestBootstrapGeneratesOnlyWhatIsMissing(t *testing.T) {
	s, _ := testService(t, newFakeStore())
	c, err := s.Bootstrap(context.Background(), RootConfig{Password: "configured-pw"})
	if err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	if c.Password != "configured-pw" || c.AccessKey == "" || !c.Generated {
		t.Fatalf("Bootstrap = %+v: want the configured password and a generated key", c)
	}
	assertCredentialsWork(t, s, c)
}

func TestBootstrapChangesNothingOnceUsersExist(t *testing.T) {
	ctx := context.Background()
	store := newFakeStore()
	s, _ := testService(t, store)
	first, err := s.Bootstrap(ctx, RootConfig{})
	if err != nil || first == nil {
		t.Fatalf("first Bootstrap = %+v, %v", first, err)
	}
	second, err := s.Bootstrap(ctx, RootConfig{User: "other", Password: "other-password"})
	if err != nil || second != nil {
		t.Fatalf("second Bootstrap = %+v, %v; want nil, nil", second, err)
	}
	if len(store.users) != 1 || len(store.keys) != 1 {
		t.Fatalf("store holds %d users and %d keys after a second Bootstrap, want 1 and 1", len(store.users), len(store.keys))
	}
	assertCredentialsWork(t, s, first)
}

func TestBootstrapRefusesABadConfigAndStoresNothing(t *testing.T) {
	tests := []struct {
		name string
		cfg  RootConfig
		want error
	}{
		{"an access key without a secret", RootConfig{AccessKey: "rootaccess"}, ErrInvalidAccessKey},
		{"a secret without an access key", RootConfig{SecretKey: "rootsecret123"}, ErrInvalidAccessKey},
		{"a too-short secret", RootConfig{AccessKey: "rootaccess", SecretKey: "short"}, ErrInvalidAccessKey},
		{"a too-short password", RootConfig{Password: "short"}, ErrInvalidPassword},
		{"an invalid user name", RootConfig{User: "root user"}, ErrInvalidUsername},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := newFakeStore()
			s, _ := testService(t, store)
			c, err := s.Bootstrap(context.Background(), tc.cfg)
			if !errors.Is(err, tc.want) || c != nil {
				t.Fatalf("Bootstrap = %+v, %v; want %v", c, err, tc.want)
			}
			if len(store.users) != 0 {
				t.Fatalf("a refused Bootstrap stored %d users", len(store.users))
			}
		})
	}
}

func TestBootstrapIsOneTransaction(t *testing.T) {
	store := newFakeStore()
	store.failCreateKey = errInjected
	s, _ := testService(t, store)
	if _, err := s.Bootstrap(context.Background(), RootConfig{}); !errors.Is(err, errInjected) {
		t.Fatalf("Bootstrap: err = %v, want the store's error", err)
	}
	if len(store.users) != 0 {
		t.Fatal("the admin user was kept although its access key failed")
	}
	store.failCreateKey = nil
	c, err := s.Bootstrap(context.Background(), RootConfig{})
	if err != nil || c == nil {
		t.Fatalf("retried Bootstrap = %+v, %v; want credentials", c, err)
	}
	if u, _ := s.GetUserByName(context.Background(), "admin"); u == nil || u.Role != meta.RoleAdmin {
		t.Fatalf("admin = %+v, want an ADMIN user", u)
	}
}

func TestBootstrapYieldsToANodeThatBootstrappedFirst(t *testing.T) {
	store := newFakeStore()
	store.beforeUpdate = func(s *fakeStore) {
		s.nextID++
		s.users[s.nextID] = meta.User{ID: s.nextID, Username: "admin", Role: meta.RoleAdmin, PasswordHash: dummyHash}
	}
	s, _ := testService(t, store)
	c, err := s.Bootstrap(context.Background(), RootConfig{})
	if err != nil || c != nil {
		t.Fatalf("Bootstrap = %+v, %v; want nil, nil", c, err)
	}
	if len(store.users) != 1 || len(store.keys) != 0 {
		t.Fatalf("store holds %d users and %d keys, want only the other node's user", len(store.users), len(store.keys))
	}
}
