package sqlite

import (
	"fmt"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	refreshCols          = `id, user_id, client_id, generation, created_at, expires_at`
	qCreateRefreshFamily = `INSERT INTO refresh_families (` + refreshCols + `) VALUES (?, ?, ?, ?, ?, ?)`
	qGetRefreshFamily    = `SELECT ` + refreshCols + ` FROM refresh_families WHERE id = ?`
	// The generation in the WHERE clause makes the rotation a
	// compare-and-set: a second refresh with the same token changes nothing.
	qRotateRefreshFamily = `UPDATE refresh_families SET generation = generation + 1, expires_at = ?
		WHERE id = ? AND generation = ?`
	qDeleteRefreshFamily = `DELETE FROM refresh_families WHERE id = ?`
	// A subquery bounds the delete, since DELETE ... LIMIT is not standard.
	qDeleteExpiredRefreshFamilies = `DELETE FROM refresh_families WHERE id IN (
		SELECT id FROM refresh_families WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`
	qDeleteUserRefreshFamilies = `DELETE FROM refresh_families WHERE user_id = ?`
)

func (t *tx) CreateRefreshFamily(f *meta.RefreshFamily) error {
	_, err := t.exec(qCreateRefreshFamily, f.ID, f.UserID, f.ClientID, f.Generation,
		metasql.Nanos(f.CreatedAt), metasql.Nanos(f.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create refresh family of user %d: %w", f.UserID, classifyInsert(err))
	}
	return nil
}

func (t *tx) GetRefreshFamily(id string) (*meta.RefreshFamily, error) {
	var (
		f                meta.RefreshFamily
		created, expires int64
	)
	err := t.queryRow(qGetRefreshFamily, id).Scan(&f.ID, &f.UserID, &f.ClientID, &f.Generation, &created, &expires)
	if err != nil {
		return nil, fmt.Errorf("get refresh family: %w", classify(err))
	}
	f.CreatedAt, f.ExpiresAt = metasql.Time(created), metasql.Time(expires)
	return &f, nil
}

func (t *tx) RotateRefreshFamily(id string, from int64, expires time.Time) error {
	found, err := t.execOne(qRotateRefreshFamily, metasql.Nanos(expires), id, from)
	if err != nil {
		return fmt.Errorf("rotate refresh family: %w", err)
	}
	if !found {
		return fmt.Errorf("rotate refresh family at generation %d: %w", from, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) DeleteRefreshFamily(id string) error {
	found, err := t.execOne(qDeleteRefreshFamily, id)
	if err != nil {
		return fmt.Errorf("delete refresh family: %w", err)
	}
	if !found {
		return fmt.Errorf("delete refresh family: %w", meta.ErrNotFound)
	}
	return nil
}

func (t *tx) DeleteExpiredRefreshFamilies(now time.Time, limit int) (int, error) {
	res, err := t.exec(qDeleteExpiredRefreshFamilies, metasql.Nanos(now), sqlLimit(limit))
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh families: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired refresh families: %w", err)
	}
	return int(n), nil
}
