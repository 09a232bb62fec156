package postgres

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	eventCols    = `id, time, type_id, category, severity, gms, subject, message, actor_id, actor_name, owner_id, count`
	qAppendEvent = `INSERT INTO events (time, type_id, category, severity, gms, subject, message,
		actor_id, actor_name, owner_id, count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`

	// ListEvents has one statement per leading filter: a user's own events
	// walk their owner index, the rest the time index. An unset bound is
	// NULL; the casts give the parameters their types where a comparison
	// with a literal would not.
	eventFilterTail = ` ($1::BIGINT IS NULL OR time >= $1) AND ($2::BIGINT IS NULL OR time <= $2)
		AND ($3::TEXT = '' OR severity = $3) AND ($4::TEXT = '' OR category = $4) AND ($5::INTEGER = 0 OR type_id = $5)
		AND ($6::BIGINT = 0 OR owner_id = $6 OR actor_id = $6) AND ($7::BIGINT = 0 OR owner_id = $7) AND (NOT $8::BOOLEAN OR gms)
		ORDER BY time DESC, id DESC LIMIT $9`
	qListEvents        = `SELECT ` + eventCols + ` FROM events WHERE` + eventFilterTail
	qListEventsByOwner = `SELECT ` + eventCols + ` FROM events WHERE owner_id = $7 AND` + eventFilterTail

	qDeleteEventsBefore = `DELETE FROM events WHERE id IN (
		SELECT id FROM events WHERE time < $1 ORDER BY time, id LIMIT $2)`
)

func (t *tx) AppendEvent(e *meta.Event) error {
	if e.Count <= 0 {
		e.Count = 1
	}
	err := t.queryRow(qAppendEvent, metasql.Nanos(e.Time), e.TypeID, e.Category, e.Severity, e.GMS,
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
		f.UserID, f.OwnerID, f.GMSOnly, sqlLimit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []meta.Event
	for rows.Next() {
		var (
			e  meta.Event
			at int64
		)
		if err := rows.Scan(&e.ID, &at, &e.TypeID, &e.Category, &e.Severity, &e.GMS, &e.Subject, &e.Message,
			&e.ActorID, &e.ActorName, &e.OwnerID, &e.Count); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.Time = metasql.Time(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

func (t *tx) DeleteEventsBefore(before time.Time, limit int) (int, error) {
	tag, err := t.exec(qDeleteEventsBefore, metasql.Nanos(before), sqlLimit(limit))
	if err != nil {
		return 0, fmt.Errorf("delete events before %s: %w", before, err)
	}
	return int(tag.RowsAffected()), nil
}

// nullTime is a bound for a query: NULL for the zero time (no bound).
func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}
