package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/events"
	"github.com/quarrylabs/quarry/internal/meta"
)

// DefaultRootUser is the admin's name when RootConfig.User is empty.
const DefaultRootUser = "admin"

// RootConfig is the configured root account (from QUARRY_ROOT_* variables);
// any field may be empty. AccessKey and SecretKey go together: both or
// neither.
type RootConfig struct {
	User, Password, AccessKey, SecretKey string
}

// RootCredentials is the admin account Bootstrap created. Generated reports
// whether any of the password or the key pair was generated, which the
// caller must then show (or write) once, since it cannot be read back.
type RootCredentials struct {
	User, Password, AccessKey, SecretKey string
	Generated                            bool
}

// errUsersExist aborts the bootstrap transaction when a user appeared
// between the first check and the write (another node bootstrapped).
var errUsersExist = errors.New("users exist")

// Bootstrap creates the admin user and its access key when the store holds
// no user at all, in one transaction, and returns the credentials. When any
// user exists it changes nothing and returns (nil, nil).
func (s *Service) Bootstrap(ctx context.Context, cfg RootConfig) (*RootCredentials, error) {
	empty, err := s.noUsers(ctx)
	if err != nil || !empty {
		return nil, err
	}
	creds, err := rootCredentials(cfg)
	if err != nil {
		return nil, err
	}
	// Hash and seal before the transaction: bcrypt is slow.
	u, err := newUser(creds.User, creds.Password, meta.RoleAdmin, s.now())
	if err != nil {
		return nil, fmt.Errorf("auth: bootstrap: %w", err)
	}
	k, err := s.newAccessKeyRow(0, creds.AccessKey, creds.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("auth: bootstrap: %w", err)
	}
	err = s.store.Update(ctx, func(tx meta.Tx) error {
		users, err := tx.ListUsers(0, 1)
		if err != nil {
			return fmt.Errorf("auth: bootstrap: list users: %w", err)
		}
		if len(users) > 0 {
			return errUsersExist
		}
		if err := createUser(tx, u, events.Actor{}); err != nil {
			return err
		}
		k.UserID = u.ID
		return createAccessKey(tx, k, u, events.Actor{})
	})
	if errors.Is(err, errUsersExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: bootstrap: %w", err)
	}
	return creds, nil
}

func (s *Service) noUsers(ctx context.Context) (bool, error) {
	var users []meta.User
	err := s.store.View(ctx, func(tx meta.Tx) error {
		var err error
		users, err = tx.ListUsers(0, 1)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("auth: bootstrap: list users: %w", err)
	}
	return len(users) == 0, nil
}

// rootCredentials fills in what cfg leaves empty and validates the rest.
func rootCredentials(cfg RootConfig) (*RootCredentials, error) {
	c := &RootCredentials{User: cfg.User, Password: cfg.Password, AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey}
	if c.User == "" {
		c.User = DefaultRootUser
	}
	if err := ValidateUsername(c.User); err != nil {
		return nil, fmt.Errorf("auth: bootstrap: root user: %w", err)
	}
	var err error
	if c.Password == "" {
		if c.Password, err = newPassword(); err != nil {
			return nil, err
		}
		c.Generated = true
	} else if err := ValidatePassword(c.Password); err != nil {
		return nil, fmt.Errorf("auth: bootstrap: root password: %w", err)
	}
	switch {
	case c.AccessKey == "" && c.SecretKey == "":
		if c.AccessKey, err = newAccessKey(); err != nil {
			return nil, err
		}
		if c.SecretKey, err = newSecretKey(); err != nil {
			return nil, err
		}
		c.Generated = true
	case c.AccessKey == "" || c.SecretKey == "":
		return nil, fmt.Errorf("auth: bootstrap: %w: root access key and secret key must be set together", ErrInvalidAccessKey)
	default:
		if err := ValidateAccessKey(c.AccessKey, c.SecretKey); err != nil {
			return nil, fmt.Errorf("auth: bootstrap: root key: %w", err)
		}
	}
	return c, nil
}
