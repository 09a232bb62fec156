package sqltx

import (
	"fmt"
	"time"
)

// TrashQueries are the statements of the blob trash queue and of
// settings.
type TrashQueries struct {
	// Trash (blobID, trashedAt) queues a blob, keeping an existing entry.
	Trash string
	// List (limit) selects blob_id, oldest first.
	List string
	// Remove (blobID).
	Remove string

	// GetSetting (name) selects value; PutSetting (name, value) inserts or
	// replaces it.
	GetSetting, PutSetting string
}

func (t *Tx) TrashBlobs(ids ...string) error {
	now := time.Now().UnixNano()
	for _, id := range ids {
		if _, err := t.c.Exec(t.d.Trash.Trash, id, now); err != nil {
			return fmt.Errorf("trash blob %s: %w", id, err)
		}
	}
	return nil
}

// ListTrash returns queued blob ids, oldest first.
func (t *Tx) ListTrash(n int) ([]string, error) {
	ids, err := t.queryStrings(t.d.Trash.List, limit(n))
	if err != nil {
		return nil, fmt.Errorf("list trash: %w", err)
	}
	return ids, nil
}

// RemoveTrash forgets ids; ids not in the queue are ignored, so a cleanup
// that crashed after deleting blobs can simply run again.
func (t *Tx) RemoveTrash(ids ...string) error {
	for _, id := range ids {
		if _, err := t.c.Exec(t.d.Trash.Remove, id); err != nil {
			return fmt.Errorf("remove trash %s: %w", id, err)
		}
	}
	return nil
}

func (t *Tx) GetSetting(name string) (string, error) {
	if err := t.noText("get setting", name); err != nil {
		return "", err
	}
	var v string
	if err := t.c.QueryRow(t.d.Trash.GetSetting, name).Scan(&v); err != nil {
		return "", fmt.Errorf("get setting %s: %w", name, t.c.Classify(err))
	}
	return v, nil
}

func (t *Tx) PutSetting(name, value string) error {
	if _, err := t.c.Exec(t.d.Trash.PutSetting, name, value); err != nil {
		return fmt.Errorf("put setting %s: %w", name, err)
	}
	return nil
}
