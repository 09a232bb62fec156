package sqlite

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.EventTx = (*tx)(nil)

const (
	eventCols    = `id, time, type_id, category, severity, gms, subject, message, actor_id, actor_name, owner_id, count`
	qAppendEvent = `INSERT INTO events (time, type_id, category, severity, gms, subject, message,
		actor_id, actor_name, owner_id, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

	// ListEvents has one statement per leading filter, as ListJobs: a
	// user's own events walk their owner index, the rest the time index.
	// Both share the numbered parameters of eventFilterTail; an unset
	// bound is NULL.
	eventFilterTail = ` (?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR time <= ?2)
		AND (?3 = '' OR severity = ?3) AND (?4 = '' OR category = ?4) AND (?5 = 0 OR type_id = ?5)
		AND (?6 = 0 OR owner_id = ?6 OR actor_id = ?6) AND (?7 = 0 OR owner_id = ?7) AND (?8 = 0 OR gms = 1)
		ORDER BY time DESC, id DESC LIMIT ?9`
	qListEvents        = `SELECT ` + eventCols + ` FROM events WHERE` + eventFilterTail
	qListEventsByOwner = `SELECT ` + eventCols + ` FROM events WHERE owner_id = ?7 AND` + eventFilterTail

	// A subquery bounds the delete, since DELETE ... LIMIT is not standard.
	qDeleteEventsBefore = `DELETE FROM events WHERE id IN (
		SELECT id FROM events WHERE time < ? ORDER BY time, id LIMIT ?)`
)

func (t *tx) AppendEvent(e *meta.Event) error {
	if e.Count <= 0 {
		e.Count = 1
	}
	err := t.queryRow(qAppendEvent, metasql.Nanos(e.Time), e.TypeID, e.Category, e.Severity, boolInt(e.GMS),
		e.Subject, e.Message, e.ActorID, e.ActorName, e.OwnerID, e.Count).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("append event %d about %q: %w", e.TypeID, e.Subject, err)
	}
	return nil
}

func (t *tx) ListEvents(f meta.EventFilter) ([]meta.Event, error) {
	query := qListEvents
	if f.OwnerID != 0 {
		query = qListEventsByOwner
	}
	rows, err := t.query(query, nullTime(f.Since), nullTime(f.Until), f.Severity, f.Category, f.TypeID,
		f.UserID, f.OwnerID, boolInt(f.GMSOnly), sqlLimit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []meta.Event
	for rows.Next() {
		var (
			e   meta.Event
			at  int64
			gms int
		)
		if err := rows.Scan(&e.ID, &at, &e.TypeID, &e.Category, &e.Severity, &gms, &e.Subject, &e.Message,
			&e.ActorID, &e.ActorName, &e.OwnerID, &e.Count); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.Time, e.GMS = metasql.Time(at), gms != 0
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

func (t *tx) DeleteEventsBefore(before time.Time, limit int) (int, error) {
	res, err := t.exec(qDeleteEventsBefore, metasql.Nanos(before), sqlLimit(limit))
	if err != nil {
		return 0, fmt.Errorf("delete events before %s: %w", before, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete events before %s: %w", before, err)
	}
	return int(n), nil
}

// nullTime is a bound for a query: NULL for the zero time (no bound).
func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}
