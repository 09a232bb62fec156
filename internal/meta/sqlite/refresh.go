package sqlite

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

// Not trusting the cascade: DeleteUser removes a user's families.
const qDeleteUserRefreshFamilies = `DELETE FROM refresh_families WHERE user_id = ?1`

var refreshQueries = sqltx.RefreshQueries{
	Create: `INSERT INTO refresh_families (` + sqltx.RefreshColumns + `) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
	Get:    `SELECT ` + sqltx.RefreshColumns + ` FROM refresh_families WHERE id = ?1`,
	// The generation in the WHERE clause makes the rotation a
	// compare-and-set: a second refresh with the same token changes nothing.
	Rotate: `UPDATE refresh_families SET generation = generation + 1, expires_at = ?1
		WHERE id = ?2 AND generation = ?3`,
	Delete: `DELETE FROM refresh_families WHERE id = ?1`,
	// A subquery bounds the delete, since DELETE ... LIMIT is not standard.
	DeleteExpired: `DELETE FROM refresh_families WHERE id IN (
		SELECT id FROM refresh_families WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)`,
}
