package sqltx

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.EventTx = (*Tx)(nil)

// EventColumns are the columns of events in the order ListEvents reads
// them.
const EventColumns = `id, time, type_id, category, severity, gms, subject, message, actor_id, actor_name, owner_id, count`

// EventQueries are the statements of the event log.
type EventQueries struct {
	// Append (time, type_id, category, severity, gms, subject, message,
	// actor_id, actor_name, owner_id, count) RETURNING id.
	Append string
	// List and ListByOwner (since, until, severity, category, typeID,
	// userID, ownerID, gmsOnly, limit) select EventColumns, newest first:
	// an unset bound is NULL, an unset filter its zero value. ListByOwner
	// serves a set ownerID.
	List, ListByOwner string
	// DeleteBefore (before, limit) deletes the oldest events before before.
	DeleteBefore string
}

func (t *Tx) AppendEvent(e *meta.Event) error {
	if e.Count <= 0 {
		e.Count = 1
	}
	err := t.c.QueryRow(t.d.Event.Append, metasql.Nanos(e.Time), e.TypeID, e.Category, e.Severity, e.GMS,
		e.Subject, e.Message, e.ActorID, e.ActorName, e.OwnerID, e.Count).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("append event %d about %q: %w", e.TypeID, e.Subject, err)
	}
	return nil
}

func (t *Tx) ListEvents(f meta.EventFilter) ([]meta.Event, error) {
	query := t.d.Event.List
	if f.OwnerID != 0 {
		query = t.d.Event.ListByOwner
	}
	rows, err := t.c.Query(query, nullTime(f.Since), nullTime(f.Until), f.Severity, f.Category, f.TypeID,
		f.UserID, f.OwnerID, f.GMSOnly, limit(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	out, err := collect(nil, rows, func(r Row) (*meta.Event, error) {
		var (
			e  meta.Event
			at int64
		)
		if err := r.Scan(&e.ID, &at, &e.TypeID, &e.Category, &e.Severity, &e.GMS, &e.Subject, &e.Message,
			&e.ActorID, &e.ActorName, &e.OwnerID, &e.Count); err != nil {
			return nil, err
		}
		e.Time = metasql.Time(at)
		return &e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

func (t *Tx) DeleteEventsBefore(before time.Time, n int) (int, error) {
	deleted, err := t.c.Exec(t.d.Event.DeleteBefore, metasql.Nanos(before), limit(n))
	if err != nil {
		return 0, fmt.Errorf("delete events before %s: %w", before, err)
	}
	return int(deleted), nil
}

// nullTime is a bound for a query: NULL for the zero time (no bound).
func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}
