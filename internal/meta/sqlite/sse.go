package sqlite

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

var sseQueries = sqltx.SSEQueries{
	AddKey:    `INSERT INTO sse_keys (sealed, created_at) VALUES (?1, ?2) RETURNING id`,
	ListKeys:  `SELECT id, sealed, created_at FROM sse_keys ORDER BY id`,
	DeleteKey: `DELETE FROM sse_keys WHERE id = ?1`,

	AddEvent:   `INSERT INTO sse_events (user_name, time, code, message) VALUES (?1, ?2, ?3, ?4) RETURNING id`,
	ListEvents: `SELECT id, user_name, time, code, message FROM sse_events ORDER BY id DESC LIMIT ?1`,

	ListSealedVersions: `SELECT seq, bucket, object_key, version_id, segments FROM versions
		WHERE sse <> '' AND seq > ?1 ORDER BY seq LIMIT ?2`,
	SetVersionSegments: `UPDATE versions SET segments = ?1 WHERE bucket = ?2 AND object_key = ?3 AND version_id = ?4`,
	ListSealedParts: `SELECT ` + sqltx.PartColumns + ` FROM parts
		WHERE sealed_key IS NOT NULL AND (upload_id > ?1 OR (upload_id = ?1 AND number > ?2))
		ORDER BY upload_id, number LIMIT ?3`,
	SetPartSealedKey: `UPDATE parts SET sealed_key = ?1 WHERE upload_id = ?2 AND number = ?3`,
}
