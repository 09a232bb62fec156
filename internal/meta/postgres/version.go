package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

// Seq and concurrent writers. A version's seq is drawn from the identity
// column's sequence when its row is inserted, so seqs are unique and grow
// in the order transactions draw them, not the order they commit: a
// transaction may draw 10, another 11 and commit first. Among versions of
// one key that cannot be seen, because two transactions that add a
// version to one key always write a common row and SERIALIZABLE lets only
// one of them commit: both clear the old latest version's flag (an UPDATE
// of the same row), or both replace the same null version (a DELETE of the
// same row), or, for the key's first version, both insert a latest row
// into versions_one_latest's one slot for the key. The loser is aborted
// and its fn runs again on a new transaction, drawing a new seq, higher
// than the winner's. So a key's committed versions have seqs in the order
// they were committed, and "a higher Seq is newer" holds for every key.

const (
	qIsLatest   = `SELECT is_latest FROM versions WHERE bucket = $1 AND object_key = $2 AND version_id = $3`
	qMarkLatest = `UPDATE versions SET is_latest = TRUE WHERE bucket = $1 AND object_key = $2 AND version_id = $3`
	qUnmarkAll  = `UPDATE versions SET is_latest = FALSE WHERE bucket = $1 AND object_key = $2 AND is_latest`

	// Listings turn "starts with prefix, after a position" into one index
	// range (meta.KeyRange); each of its four forms is its own query, so
	// that each is prepared once per connection with a plan for its shape.
	currentWhere  = `FROM versions WHERE bucket = $1 AND is_latest AND NOT delete_marker AND object_key `
	currentOrder  = ` ORDER BY object_key LIMIT `
	versionsWhere = `FROM versions WHERE bucket = $1 AND object_key `
	versionsOrder = ` ORDER BY object_key, seq DESC LIMIT `
)

var versionQueries = sqltx.VersionQueries{
	Put: `INSERT INTO versions (bucket, object_key, version_id, is_latest, delete_marker, size, etag,
		last_modified, content_type, headers, user_meta, checksums, tags, segments, owner_id, replication_status, sse,
		is_inline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING seq`,
	PutInline: `INSERT INTO version_inline (seq, data) VALUES ($1, $2)`,
	GetInline: `SELECT data FROM version_inline WHERE seq = $1`,
	Get: `SELECT ` + sqltx.VersionColumns + ` FROM versions
		WHERE bucket = $1 AND object_key = $2 AND version_id = $3`,
	// versions_one_latest keeps this to one row.
	GetLatest: `SELECT ` + sqltx.VersionColumns + ` FROM versions
		WHERE bucket = $1 AND object_key = $2 AND is_latest`,
	Newest: `SELECT ` + sqltx.VersionColumns + ` FROM versions
		WHERE bucket = $1 AND object_key = $2 ORDER BY seq DESC LIMIT 1`,
	// The version's replication states go by a trigger (0002) and its
	// inline data by cascade.
	Delete:  `DELETE FROM versions WHERE bucket = $1 AND object_key = $2 AND version_id = $3`,
	SetTags: `UPDATE versions SET tags = $1 WHERE bucket = $2 AND object_key = $3 AND version_id = $4`,
	Has:     `SELECT EXISTS (SELECT 1 FROM versions WHERE bucket = $1)`,
	SetACL:  `UPDATE versions SET acl = $1 WHERE bucket = $2 AND object_key = $3 AND version_id = $4`,
	GetACL:  `SELECT acl FROM versions WHERE bucket = $1 AND object_key = $2 AND version_id = $3`,
	ListReplication: `SELECT bucket, object_key, version_id, target_arn, status, error, updated
		FROM version_replication WHERE bucket = $1 AND object_key = $2 AND version_id = $3 ORDER BY target_arn`,

	ListLatestFrom:         `SELECT ` + sqltx.VersionColumns + ` ` + currentWhere + `>= $2` + currentOrder + `$3`,
	ListLatestFromBounded:  `SELECT ` + sqltx.VersionColumns + ` ` + currentWhere + `>= $2 AND object_key < $3` + currentOrder + `$4`,
	ListLatestAfter:        `SELECT ` + sqltx.VersionColumns + ` ` + currentWhere + `> $2` + currentOrder + `$3`,
	ListLatestAfterBounded: `SELECT ` + sqltx.VersionColumns + ` ` + currentWhere + `> $2 AND object_key < $3` + currentOrder + `$4`,

	// The same, keys only: versions_current covers them.
	ListLatestKeysFrom:         `SELECT object_key ` + currentWhere + `>= $2` + currentOrder + `$3`,
	ListLatestKeysFromBounded:  `SELECT object_key ` + currentWhere + `>= $2 AND object_key < $3` + currentOrder + `$4`,
	ListLatestKeysAfter:        `SELECT object_key ` + currentWhere + `> $2` + currentOrder + `$3`,
	ListLatestKeysAfterBounded: `SELECT object_key ` + currentWhere + `> $2 AND object_key < $3` + currentOrder + `$4`,

	ListKeyVersionsBefore: `SELECT ` + sqltx.VersionColumns + ` FROM versions
		WHERE bucket = $1 AND object_key = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4`,
	ListVersionsFrom:         `SELECT ` + sqltx.VersionColumns + ` ` + versionsWhere + `>= $2` + versionsOrder + `$3`,
	ListVersionsFromBounded:  `SELECT ` + sqltx.VersionColumns + ` ` + versionsWhere + `>= $2 AND object_key < $3` + versionsOrder + `$4`,
	ListVersionsAfter:        `SELECT ` + sqltx.VersionColumns + ` ` + versionsWhere + `> $2` + versionsOrder + `$3`,
	ListVersionsAfterBounded: `SELECT ` + sqltx.VersionColumns + ` ` + versionsWhere + `> $2 AND object_key < $3` + versionsOrder + `$4`,
}

// latestIndex is the unique index that keeps one latest version per key.
const latestIndex = "versions_one_latest"

// latestTaken reports whether err is an insert or update that would have
// made a second latest version of a key. Callers clear the old latest
// first, so this is a concurrent transaction having made another version
// latest since this one read the key: running fn again resolves it, as for
// a serialisation failure.
func latestTaken(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == codeUniqueViolation && e.ConstraintName == latestIndex
}

// SetLatest clears the old latest version's flag before setting the new
// one's, since versions_one_latest (not deferrable: a partial unique index)
// is checked row by row. It first makes sure versionID exists, so that a
// missing one fails with ErrNotFound having changed nothing.
func (t *tx) SetLatest(bucket, key, versionID string) error {
	if err := noText("set latest", bucket, key, versionID); err != nil {
		return err
	}
	if versionID == "" {
		if _, err := t.exec(qUnmarkAll, bucket, key); err != nil {
			return fmt.Errorf("clear latest %s/%s: %w", bucket, key, err)
		}
		return nil
	}
	var latest bool
	if err := t.queryRow(qIsLatest, bucket, key, versionID).Scan(&latest); err != nil {
		return fmt.Errorf("set latest %s/%s %s: %w", bucket, key, versionID, classify(err))
	}
	if latest {
		return nil // the index allows no other latest version
	}
	if _, err := t.exec(qUnmarkAll, bucket, key); err != nil {
		return fmt.Errorf("set latest %s/%s %s: unmark others: %w", bucket, key, versionID, err)
	}
	found, err := t.execOne(qMarkLatest, bucket, key, versionID)
	if latestTaken(err) {
		return fmt.Errorf("set latest %s/%s %s: another version of the key is latest: %w", bucket, key, versionID, err)
	}
	if err != nil {
		return fmt.Errorf("set latest %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("set latest %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
}
