package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

var trashQueries = sqltx.TrashQueries{
	// Trashing a blob twice (a retried cleanup) keeps the first entry.
	Trash:  `INSERT INTO blob_trash (blob_id, trashed_at) VALUES ($1, $2) ON CONFLICT (blob_id) DO NOTHING`,
	List:   `SELECT blob_id FROM blob_trash ORDER BY id LIMIT $1`,
	Remove: `DELETE FROM blob_trash WHERE blob_id = $1`,

	GetSetting: `SELECT value FROM settings WHERE name = $1`,
	PutSetting: `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
}
