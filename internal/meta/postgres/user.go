package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

var userQueries = sqltx.UserQueries{
	Create: `INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
	Get:    `SELECT ` + sqltx.UserColumns + ` FROM users WHERE id = $1`,
	// lower(username) is what the users_username_folded index holds.
	GetByName: `SELECT ` + sqltx.UserColumns + ` FROM users WHERE lower(username) = lower($1)`,
	List:      `SELECT ` + sqltx.UserColumns + ` FROM users WHERE id > $1 ORDER BY id LIMIT $2`,
	// The user's access keys and refresh families go by cascade, its target
	// grants by a trigger (0002).
	Delete:  `DELETE FROM users WHERE id = $1`,
	SetRole: `UPDATE users SET role = $1 WHERE id = $2`,

	CreateKey: `INSERT INTO access_keys (` + sqltx.AccessKeyColumns + `) VALUES ($1, $2, $3, $4)`,
	GetKey:    `SELECT ` + sqltx.AccessKeyColumns + ` FROM access_keys WHERE access_key = $1`,
	ListKeys:  `SELECT ` + sqltx.AccessKeyColumns + ` FROM access_keys WHERE user_id = $1 ORDER BY access_key`,
	DeleteKey: `DELETE FROM access_keys WHERE access_key = $1`,
}
