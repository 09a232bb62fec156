package sqltx

import (
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// RefreshColumns are the columns of refresh token families in the order
// GetRefreshFamily reads them and Create writes them.
const RefreshColumns = `id, user_id, client_id, generation, created_at, expires_at`

// RefreshQueries are the statements of refresh token families.
type RefreshQueries struct {
	// Create inserts RefreshColumns; Get (id) selects them.
	Create, Get string
	// Rotate (expires, id, fromGeneration) moves the family to the next
	// generation, only from fromGeneration.
	Rotate string
	// Delete (id).
	Delete string
	// DeleteExpired (now, limit) deletes up to limit families expired at
	// now, soonest expired first.
	DeleteExpired string
}

func (t *Tx) CreateRefreshFamily(f *meta.RefreshFamily) error {
	_, err := t.c.Exec(t.d.Refresh.Create, f.ID, f.UserID, f.ClientID, f.Generation,
		metasql.Nanos(f.CreatedAt), metasql.Nanos(f.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create refresh family of user %d: %w", f.UserID, t.c.ClassifyInsert(err))
	}
	return nil
}

func (t *Tx) GetRefreshFamily(id string) (*meta.RefreshFamily, error) {
	if err := t.noText("get refresh family", id); err != nil {
		return nil, err
	}
	var (
		f                meta.RefreshFamily
		created, expires int64
	)
	err := t.c.QueryRow(t.d.Refresh.Get, id).Scan(&f.ID, &f.UserID, &f.ClientID, &f.Generation, &created, &expires)
	if err != nil {
		return nil, fmt.Errorf("get refresh family: %w", t.c.Classify(err))
	}
	f.CreatedAt, f.ExpiresAt = metasql.Time(created), metasql.Time(expires)
	return &f, nil
}

func (t *Tx) RotateRefreshFamily(id string, from int64, expires time.Time) error {
	if err := t.noText("rotate refresh family", id); err != nil {
		return err
	}
	found, err := t.execOne(t.d.Refresh.Rotate, metasql.Nanos(expires), id, from)
	if err != nil {
		return fmt.Errorf("rotate refresh family: %w", err)
	}
	if !found {
		return fmt.Errorf("rotate refresh family at generation %d: %w", from, meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) DeleteRefreshFamily(id string) error {
	if err := t.noText("delete refresh family", id); err != nil {
		return err
	}
	found, err := t.execOne(t.d.Refresh.Delete, id)
	if err != nil {
		return fmt.Errorf("delete refresh family: %w", err)
	}
	if !found {
		return fmt.Errorf("delete refresh family: %w", meta.ErrNotFound)
	}
	return nil
}

func (t *Tx) DeleteExpiredRefreshFamilies(now time.Time, n int) (int, error) {
	deleted, err := t.c.Exec(t.d.Refresh.DeleteExpired, metasql.Nanos(now), limit(n))
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh families: %w", err)
	}
	return int(deleted), nil
}
