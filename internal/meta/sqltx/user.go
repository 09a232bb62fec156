package sqltx

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// Columns of users and access keys, in the order their scanners read them.
const (
	UserColumns      = `id, username, password_hash, role, created_at`
	AccessKeyColumns = `access_key, user_id, secret_enc, created_at`
)

// UserQueries are the statements of users and their access keys.
type UserQueries struct {
	// Create (username, password_hash, role, created_at) RETURNING id.
	Create string
	// Get (id), GetByName (username, compared case-insensitively) and List
	// (afterID, limit) select UserColumns, the list by id.
	Get, GetByName, List string
	// DeleteOwned are the statements (userID) Delete runs first to remove
	// what the user owns, for a store whose cascades may be off; empty when
	// the cascades do it.
	DeleteOwned []string
	// Delete (id) and SetRole (role, id).
	Delete, SetRole string

	// CreateKey inserts AccessKeyColumns.
	CreateKey string
	// GetKey (accessKey) and ListKeys (userID) select AccessKeyColumns, the
	// list by access key.
	GetKey, ListKeys string
	// DeleteKey (accessKey).
	DeleteKey string
}

func (t *Tx) CreateUser(u *meta.User) error {
	err := t.c.QueryRow(t.d.User.Create, u.Username, u.PasswordHash, string(u.Role), metasql.Nanos(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, t.c.Classify(err))
	}
	return nil
}

func (t *Tx) GetUser(id int64) (*meta.User, error) {
	u, err := scanUser(t.c.QueryRow(t.d.User.Get, id))
	if err != nil {
		return nil, fmt.Errorf("get user %d: %w", id, t.c.Classify(err))
	}
	return u, nil
}

func (t *Tx) GetUserByName(username string) (*meta.User, error) {
	if err := t.noText("get user", username); err != nil {
		return nil, err
	}
	u, err := scanUser(t.c.QueryRow(t.d.User.GetByName, username))
	if err != nil {
		return nil, fmt.Errorf("get user %q: %w", username, t.c.Classify(err))
	}
	return u, nil
}

func (t *Tx) ListUsers(afterID int64, n int) ([]meta.User, error) {
	out, err := queryAll(t.c, scanUser, t.d.User.List, afterID, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// DeleteUser removes the user with its access keys, refresh families and
// target grants.
func (t *Tx) DeleteUser(id int64) error {
	for _, q := range t.d.User.DeleteOwned {
		if _, err := t.c.Exec(q, id); err != nil {
			return fmt.Errorf("delete user %d: what it owns: %w", id, err)
		}
	}
	found, err := t.execOne(t.d.User.Delete, id)
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("delete user %d: %w", id, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) SetUserRole(id int64, role meta.Role) error {
	found, err := t.execOne(t.d.User.SetRole, string(role), id)
	if err != nil {
		return fmt.Errorf("set role of user %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("set role of user %d: %w", id, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) CreateAccessKey(k *meta.AccessKey) error {
	_, err := t.c.Exec(t.d.User.CreateKey, k.AccessKey, k.UserID, metasql.NotNull(k.SecretEnc), metasql.Nanos(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("create access key %s: %w", k.AccessKey, t.c.ClassifyInsert(err))
	}
	return nil
}

func (t *Tx) GetAccessKey(accessKey string) (*meta.AccessKey, error) {
	if err := t.noText("get access key", accessKey); err != nil {
		return nil, err
	}
	k, err := scanAccessKey(t.c.QueryRow(t.d.User.GetKey, accessKey))
	if err != nil {
		return nil, fmt.Errorf("get access key %s: %w", accessKey, t.c.Classify(err))
	}
	return k, nil
}

func (t *Tx) ListAccessKeys(userID int64) ([]meta.AccessKey, error) {
	out, err := queryAll(t.c, scanAccessKey, t.d.User.ListKeys, userID)
	if err != nil {
		return nil, fmt.Errorf("list access keys of user %d: %w", userID, err)
	}
	return out, nil
}

func (t *Tx) DeleteAccessKey(accessKey string) error {
	if err := t.noText("delete access key", accessKey); err != nil {
		return err
	}
	found, err := t.execOne(t.d.User.DeleteKey, accessKey)
	if err != nil {
		return fmt.Errorf("delete access key %s: %w", accessKey, err)
	}
	if !found {
		return fmt.Errorf("delete access key %s: %w", accessKey, meta.ErrNotFound)
	}
	return nil
}

func scanUser(r Row) (*meta.User, error) {
	var (
		u       meta.User
		role    string
		created int64
	)
	if err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &role, &created); err != nil {
		return nil, err
	}
	u.Role = meta.Role(role)
	u.CreatedAt = metasql.Time(created)
	return &u, nil
}

func scanAccessKey(r Row) (*meta.AccessKey, error) {
	var (
		k       meta.AccessKey
		created int64
	)
	if err := r.Scan(&k.AccessKey, &k.UserID, &k.SecretEnc, &created); err != nil {
		return nil, err
	}
	k.CreatedAt = metasql.Time(created)
	return &k, nil
}
