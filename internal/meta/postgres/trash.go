package postgres

import (
	"fmt"
	"time"
)

const (
	// Trashing a blob twice (a retried cleanup) keeps the first entry.
	qTrashBlob   = `INSERT INTO blob_trash (blob_id, trashed_at) VALUES ($1, $2) ON CONFLICT (blob_id) DO NOTHING`
	qListTrash   = `SELECT blob_id FROM blob_trash ORDER BY id LIMIT $1`
	qRemoveTrash = `DELETE FROM blob_trash WHERE blob_id = $1`

	qGetSetting = `SELECT value FROM settings WHERE name = $1`
	qPutSetting = `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`
)

func (t *tx) TrashBlobs(ids ...string) error {
	now := time.Now().UnixNano()
	for _, id := range ids {
		if _, err := t.exec(qTrashBlob, id, now); err != nil {
			return fmt.Errorf("trash blob %s: %w", id, err)
		}
	}
	return nil
}

// ListTrash returns queued blob ids, oldest first.
func (t *tx) ListTrash(limit int) ([]string, error) {
	rows, err := t.query(qListTrash, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list trash: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list trash: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list trash: %w", err)
	}
	return ids, nil
}

// RemoveTrash forgets ids; ids not in the queue are ignored, so a cleanup
// that crashed after deleting blobs can simply run again.
func (t *tx) RemoveTrash(ids ...string) error {
	for _, id := range ids {
		if _, err := t.exec(qRemoveTrash, id); err != nil {
			return fmt.Errorf("remove trash %s: %w", id, err)
		}
	}
	return nil
}

func (t *tx) GetSetting(name string) (string, error) {
	if err := noText("get setting", name); err != nil {
		return "", err
	}
	var v string
	if err := t.queryRow(qGetSetting, name).Scan(&v); err != nil {
		return "", fmt.Errorf("get setting %s: %w", name, classify(err))
	}
	return v, nil
}

func (t *tx) PutSetting(name, value string) error {
	if _, err := t.exec(qPutSetting, name, value); err != nil {
		return fmt.Errorf("put setting %s: %w", name, err)
	}
	return nil
}
