package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// dummyHash is a bcrypt hash (cost 10) that Authenticate checks unknown
// users against, so that a login for a missing user costs as much as one
// with a wrong password and does not reveal which usernames exist.
const dummyHash = "$2a$10$PP1Kwg7QMSUxrSxbcweIPOe.aP12HfvEpvmRQTCl.dG0Wjk.Htys2"

// Service manages users and access keys over a metadata store. It is safe
// for concurrent use.
type Service struct {
	store  meta.Store
	sealer *Sealer
	keys   *keyCache
	now    func() time.Time
}

// NewService returns a Service that keeps users and keys in store and seals
// secret keys with sealer.
func NewService(store meta.Store, sealer *Sealer) *Service {
	return &Service{store: store, sealer: sealer, keys: newKeyCache(), now: time.Now}
}

// CreateUser adds a user with a bcrypt hash of password.
func (s *Service) CreateUser(ctx context.Context, username, password string, role meta.Role) (*meta.User, error) {
	u, err := newUser(username, password, role, s.now())
	if err != nil {
		return nil, err
	}
	actor := events.ActorFrom(ctx)
	err = s.store.Update(ctx, func(tx meta.Tx) error { return createUser(tx, u, actor) })
	if err != nil {
		return nil, err
	}
	return u, nil
}

// newUser validates the inputs and builds the user row, hashing the
// password (slow: do it outside transactions).
func newUser(username, password string, role meta.Role, now time.Time) (*meta.User, error) {
	if err := ValidateUsername(username); err != nil {
		return nil, err
	}
	if role != meta.RoleAdmin && role != meta.RoleUser {
		return nil, fmt.Errorf("auth: create user %s: unknown role %q", username, role)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	return &meta.User{Username: username, PasswordHash: hash, Role: role, CreatedAt: now.UTC()}, nil
}

// createUser inserts u unless its name is taken in any case, and records
// that actor created it. The schema enforces the name rule too; asking
// first keeps it for a store that does not.
func createUser(tx meta.Tx, u *meta.User, actor events.Actor) error {
	_, err := tx.GetUserByName(u.Username)
	if err == nil {
		return fmt.Errorf("%w: %s", ErrUserExists, u.Username)
	}
	if !errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("auth: create user %s: %w", u.Username, err)
	}
	err = tx.CreateUser(u)
	if errors.Is(err, meta.ErrExists) {
		return fmt.Errorf("%w: %s", ErrUserExists, u.Username)
	}
	if err != nil {
		return fmt.Errorf("auth: create user %s: %w", u.Username, err)
	}
	return events.Append(tx, events.Event{Type: events.UserCreated, Subject: "user/" + u.Username,
		Message: fmt.Sprintf("user %s (%s) created%s", u.Username, u.Role, byActor(actor)),
		Actor:   actor, OwnerID: u.ID, Time: u.CreatedAt})
}

// Authenticate checks a username, in any case, and a password;
// ErrBadCredentials when the user is unknown or the password is wrong.
func (s *Service) Authenticate(ctx context.Context, username, password string) (Principal, error) {
	var u *meta.User
	err := s.store.View(ctx, func(tx meta.Tx) error {
		var err error
		u, err = tx.GetUserByName(username)
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		_, _ = CheckPassword(dummyHash, password) // spend the same time
		return Principal{}, ErrBadCredentials
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: authenticate: %w", err)
	}
	ok, err := CheckPassword(u.PasswordHash, password)
	if err != nil {
		return Principal{}, fmt.Errorf("auth: authenticate %s: %w", username, err)
	}
	if !ok {
		return Principal{}, ErrBadCredentials
	}
	return principalOf(u), nil
}

func principalOf(u *meta.User) Principal {
	return Principal{UserID: u.ID, Username: u.Username, Role: u.Role}
}

// GetUser returns ErrNoSuchUser when no user has the id.
func (s *Service) GetUser(ctx context.Context, id int64) (*meta.User, error) {
	var u *meta.User
	err := s.store.View(ctx, func(tx meta.Tx) error {
		var err error
		u, err = getUser(tx, id)
		return err
	})
	return u, err
}

// GetUserByName finds the user named username in any case; ErrNoSuchUser
// when there is none.
func (s *Service) GetUserByName(ctx context.Context, username string) (*meta.User, error) {
	var u *meta.User
	err := s.store.View(ctx, func(tx meta.Tx) error {
		var err error
		u, err = tx.GetUserByName(username)
		return err
	})
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchUser, username)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: get user %s: %w", username, err)
	}
	return u, nil
}

func getUser(tx meta.Tx, id int64) (*meta.User, error) {
	u, err := tx.GetUser(id)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, fmt.Errorf("%w: id %d", ErrNoSuchUser, id)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: get user %d: %w", id, err)
	}
	return u, nil
}

// ListUsers returns up to limit users with ids above afterID, by id.
func (s *Service) ListUsers(ctx context.Context, afterID int64, limit int) ([]meta.User, error) {
	var users []meta.User
	err := s.store.View(ctx, func(tx meta.Tx) error {
		var err error
		users, err = tx.ListUsers(afterID, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("auth: list users: %w", err)
	}
	return users, nil
}

// DeleteUser removes a user, its access keys and its refresh token
// families; ErrNoSuchUser when absent. The user's keys stop working on this
// node at once (on other nodes within keyCacheTTL), its refresh tokens on
// every node at once.
func (s *Service) DeleteUser(ctx context.Context, id int64) error {
	defer s.keys.invalidateUser(id)
	actor := events.ActorFrom(ctx)
	return s.store.Update(ctx, func(tx meta.Tx) error {
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(id); err != nil {
			return fmt.Errorf("auth: delete user %d: %w", id, err)
		}
		return events.Append(tx, events.Event{Type: events.UserDeleted, Subject: "user/" + u.Username,
			Message: fmt.Sprintf("user %s (%s) deleted%s", u.Username, u.Role, byActor(actor)),
			Actor:   actor, OwnerID: u.ID, Time: s.now()})
	})
}

// SetUserRole gives a user another role; ErrNoSuchUser when absent. The
// MAPI reads the role on every call; the user's S3 keys act with the new
// role on this node at once (on other nodes within keyCacheTTL). Setting
// the role the user has changes and records nothing.
func (s *Service) SetUserRole(ctx context.Context, id int64, role meta.Role) (*meta.User, error) {
	defer s.keys.invalidateUser(id)
	actor := events.ActorFrom(ctx)
	var u *meta.User
	err := s.store.Update(ctx, func(tx meta.Tx) error {
		var err error
		if u, err = getUser(tx, id); err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		was := u.Role
		if err := tx.SetUserRole(id, role); err != nil {
			return fmt.Errorf("auth: set role of user %d: %w", id, err)
		}
		u.Role = role
		return events.Append(tx, events.Event{Type: events.UserRoleChanged, Subject: "user/" + u.Username,
			Message: fmt.Sprintf("user %s changed from %s to %s%s", u.Username, was, role, byActor(actor)),
			Actor:   actor, OwnerID: u.ID, Time: s.now()})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// byActor is " by NAME", or nothing for the server itself.
func byActor(a events.Actor) string {
	if a.Name == "" {
		return ""
	}
	return " by " + a.Name
}
