package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

const (
	uploadsWhere = `FROM uploads WHERE bucket = $1 AND object_key `
	uploadsOrder = ` ORDER BY object_key, id LIMIT `
)

var uploadQueries = sqltx.UploadQueries{
	Create: `INSERT INTO uploads (` + sqltx.UploadColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
	Get: `SELECT ` + sqltx.UploadColumns + ` FROM uploads WHERE id = $1`,
	// Delete's cascade removes the parts.
	Delete: `DELETE FROM uploads WHERE id = $1`,

	ListKeyAfter: `SELECT ` + sqltx.UploadColumns + ` FROM uploads
		WHERE bucket = $1 AND object_key = $2 AND id > $3 ORDER BY id LIMIT $4`,
	ListFrom:         `SELECT ` + sqltx.UploadColumns + ` ` + uploadsWhere + `>= $2` + uploadsOrder + `$3`,
	ListFromBounded:  `SELECT ` + sqltx.UploadColumns + ` ` + uploadsWhere + `>= $2 AND object_key < $3` + uploadsOrder + `$4`,
	ListAfter:        `SELECT ` + sqltx.UploadColumns + ` ` + uploadsWhere + `> $2` + uploadsOrder + `$3`,
	ListAfterBounded: `SELECT ` + sqltx.UploadColumns + ` ` + uploadsWhere + `> $2 AND object_key < $3` + uploadsOrder + `$4`,

	// FOR UPDATE: the part read is the one the upsert replaces, even when
	// another transaction uploads the same part number meanwhile.
	GetPart: `SELECT ` + sqltx.PartColumns + ` FROM parts WHERE upload_id = $1 AND number = $2 FOR UPDATE`,
	UpsertPart: `INSERT INTO parts (` + sqltx.PartColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (upload_id, number) DO UPDATE SET size = excluded.size, etag = excluded.etag,
		blob_id = excluded.blob_id, last_modified = excluded.last_modified, checksums = excluded.checksums,
		sealed_key = excluded.sealed_key`,
	ListParts: `SELECT ` + sqltx.PartColumns + ` FROM parts WHERE upload_id = $1 AND number > $2 ORDER BY number LIMIT $3`,
}
