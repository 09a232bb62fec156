package sqlite

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

const (
	// ListEvents has one statement per leading filter, as ListJobs: a
	// user's own events walk their owner index, the rest the time index.
	// Both share the numbered parameters of eventFilterTail; an unset
	// bound is NULL.
	eventFilterTail = ` (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR time <= ?2)
		AND (?3 = '' OR severity = ?3) AND (?4 = '' OR category = ?4) AND (?5 = 0 OR type_id = ?5)
		AND (?6 = 0 OR owner_id = ?6 OR actor_id = ?6) AND (?7 = 0 OR owner_id = ?7) AND (?8 = 0 OR gms = 1)
		ORDER BY time DESC, id DESC LIMIT ?9`
)

var eventQueries = sqltx.EventQueries{
	Append: `INSERT INTO events (time, type_id, category, severity, gms, subject, message,
		actor_id, actor_name, owner_id, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id`,
	List:        `SELECT ` + sqltx.EventColumns + ` FROM events WHERE` + eventFilterTail,
	ListByOwner: `SELECT ` + sqltx.EventColumns + ` FROM events WHERE owner_id = ?7 AND` + eventFilterTail,
	// A subquery bounds the delete, since DELETE ... LIMIT is not standard.
	DeleteBefore: `DELETE FROM events WHERE id IN (
		SELECT id FROM events WHERE time < ?1 ORDER BY time, id LIMIT ?2)`,
}
