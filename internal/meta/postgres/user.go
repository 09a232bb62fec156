package postgres

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	userCols    = `id, username, password_hash, role, created_at`
	qCreateUser = `INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id`
	qGetUser    = `SELECT ` + userCols + ` FROM users WHERE id = $1`
	// lower(username) is what the users_username_folded index holds.
	qGetUserByName = `SELECT ` + userCols + ` FROM users WHERE lower(username) = lower($1)`
	qListUsers     = `SELECT ` + userCols + ` FROM users WHERE id > $1 ORDER BY id LIMIT $2`
	qDeleteUser    = `DELETE FROM users WHERE id = $1`
	qSetUserRole   = `UPDATE users SET role = $1 WHERE id = $2`

	keyCols          = `access_key, user_id, secret_enc, created_at`
	qCreateAccessKey = `INSERT INTO access_keys (` + keyCols + `) VALUES ($1, $2, $3, $4)`
	qGetAccessKey    = `SELECT ` + keyCols + ` FROM access_keys WHERE access_key = $1`
	qListAccessKeys  = `SELECT ` + keyCols + ` FROM access_keys WHERE user_id = $1 ORDER BY access_key`
	qDeleteAccessKey = `DELETE FROM access_keys WHERE access_key = $1`
)

func (t *tx) CreateUser(u *meta.User) error {
	err := t.queryRow(qCreateUser, u.Username, u.PasswordHash, string(u.Role), metasql.Nanos(u.CreatedAt)).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, classify(err))
	}
	return nil
}

func (t *tx) GetUser(id int64) (*meta.User, error) {
	u, err := scanUser(t.queryRow(qGetUser, id))
	if err != nil {
		return nil, fmt.Errorf("get user %d: %w", id, classify(err))
	}
	return u, nil
}

func (t *tx) GetUserByName(username string) (*meta.User, error) {
	if err := noText("get user", username); err != nil {
		return nil, err
	}
	u, err := scanUser(t.queryRow(qGetUserByName, username))
	if err != nil {
		return nil, fmt.Errorf("get user %q: %w", username, classify(err))
	}
	return u, nil
}

func (t *tx) ListUsers(afterID int64, limit int) ([]meta.User, error) {
	rows, err := t.query(qListUsers, afterID, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []meta.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// DeleteUser removes the user row; its access keys and refresh families
// go by cascade, its target grants by a trigger (0002).
func (t *tx) DeleteUser(id int64) error {
	found, err := t.execOne(qDeleteUser, id)
	if err != nil {
		return fmt.Errorf("delete user %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("delete user %d: %w", id, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) SetUserRole(id int64, role meta.Role) error {
	found, err := t.execOne(qSetUserRole, string(role), id)
	if err != nil {
		return fmt.Errorf("set role of user %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("set role of user %d: %w", id, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) CreateAccessKey(k *meta.AccessKey) error {
	// A nil secret would be NULL and fail NOT NULL; store it as empty.
	secret := k.SecretEnc
	if secret == nil {
		secret = []byte{}
	}
	if _, err := t.exec(qCreateAccessKey, k.AccessKey, k.UserID, secret, metasql.Nanos(k.CreatedAt)); err != nil {
		return fmt.Errorf("create access key %s: %w", k.AccessKey, classifyInsert(err))
	}
	return nil
}

func (t *tx) GetAccessKey(accessKey string) (*meta.AccessKey, error) {
	if err := noText("get access key", accessKey); err != nil {
		return nil, err
	}
	k, err := scanAccessKey(t.queryRow(qGetAccessKey, accessKey))
	if err != nil {
		return nil, fmt.Errorf("get access key %s: %w", accessKey, classify(err))
	}
	return k, nil
}

func (t *tx) ListAccessKeys(userID int64) ([]meta.AccessKey, error) {
	rows, err := t.query(qListAccessKeys, userID)
	if err != nil {
		return nil, fmt.Errorf("list access keys of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []meta.AccessKey
	for rows.Next() {
		k, err := scanAccessKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list access keys of user %d: %w", userID, err)
		}
		out = append(out, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list access keys of user %d: %w", userID, err)
	}
	return out, nil
}

func (t *tx) DeleteAccessKey(accessKey string) error {
	if err := noText("delete access key", accessKey); err != nil {
		return err
	}
	found, err := t.execOne(qDeleteAccessKey, accessKey)
	if err != nil {
		return fmt.Errorf("delete access key %s: %w", accessKey, err)
	}
	if !found {
		return fmt.Errorf("delete access key %s: %w", accessKey, meta.ErrNotFound)
	}
	return nil
}

func scanUser(s scanner) (*meta.User, error) {
	var (
		u       meta.User
		role    string
		created int64
	)
	if err := s.Scan(&u.ID, &u.Username, &u.PasswordHash, &role, &created); err != nil {
		return nil, err
	}
	u.Role = meta.Role(role)
	u.CreatedAt = metasql.Time(created)
	return &u, nil
}

func scanAccessKey(s scanner) (*meta.AccessKey, error) {
	var (
		k       meta.AccessKey
		created int64
	)
	if err := s.Scan(&k.AccessKey, &k.UserID, &k.SecretEnc, &created); err != nil {
		return nil, err
	}
	k.CreatedAt = metasql.Time(created)
	return &k, nil
}
