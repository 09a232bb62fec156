package sqlite

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

const (
	qMarkLatest   = `UPDATE versions SET is_latest = 1 WHERE bucket = ?1 AND object_key = ?2 AND version_id = ?3`
	qUnmarkOthers = `UPDATE versions SET is_latest = 0
		WHERE bucket = ?1 AND object_key = ?2 AND is_latest = 1 AND version_id <> ?3`
	qUnmarkAll = `UPDATE versions SET is_latest = 0 WHERE bucket = ?1 AND object_key = ?2 AND is_latest = 1`

	// Listings turn "starts with prefix, after a position" into one index
	// range (meta.KeyRange). Each of its four forms is its own constant
	// query so that all of them are prepared.
	currentWhere  = `FROM versions WHERE bucket = ?1 AND is_latest = 1 AND delete_marker = 0 AND object_key `
	currentOrder  = ` ORDER BY object_key LIMIT `
	versionsWhere = `FROM versions WHERE bucket = ?1 AND object_key `
	versionsOrder = ` ORDER BY object_key, seq DESC LIMIT `
)

var versionQueries = sqltx.VersionQueries{
	Put: `INSERT INTO versions (bucket, object_key, version_id, is_latest, delete_marker, size, etag,
		last_modified, content_type, headers, user_meta, checksums, tags, segments, owner_id, replication_status, sse,
		is_inline)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) RETURNING seq`,
	PutInline: `INSERT INTO version_inline (seq, data) VALUES (?1, ?2)`,
	GetInline: `SELECT data FROM version_inline WHERE seq = ?1`,
	Get: `SELECT ` + sqltx.VersionColumns + ` FROM versions
		WHERE bucket = ?1 AND object_key = ?2 AND version_id = ?3`,
	// Normally one version is latest; should a caller leave two marked
	// between PutVersion and SetLatest, the newest wins.
	GetLatest: `SELECT ` + sqltx.VersionColumns + ` FROM versions
		WHERE bucket = ?1 AND object_key = ?2 AND is_latest = 1 ORDER BY seq DESC LIMIT 1`,
	Newest: `SELECT ` + sqltx.VersionColumns + ` FROM versions
		WHERE bucket = ?1 AND object_key = ?2 ORDER BY seq DESC LIMIT 1`,
	DeleteReplication: qDeleteVersionReplication,
	Delete:            `DELETE FROM versions WHERE bucket = ?1 AND object_key = ?2 AND version_id = ?3`,
	SetTags:           `UPDATE versions SET tags = ?1 WHERE bucket = ?2 AND object_key = ?3 AND version_id = ?4`,
	Has:               `SELECT EXISTS (SELECT 1 FROM versions WHERE bucket = ?1)`,
	SetACL:            `UPDATE versions SET acl = ?1 WHERE bucket = ?2 AND object_key = ?3 AND version_id = ?4`,
	GetACL:            `SELECT acl FROM versions WHERE bucket = ?1 AND object_key = ?2 AND version_id = ?3`,
	ListReplication: `SELECT bucket, object_key, version_id, target_arn, status, error, updated
		FROM version_replication WHERE bucket = ?1 AND object_key = ?2 AND version_id = ?3 ORDER BY target_arn`,

	ListLatestFrom:         `SELECT ` + sqltx.VersionColumns + ` ` + currentWhere + `>= ?2` + currentOrder + `?3`,
	ListLatestFromBounded:  `SELECT ` + sqltx.VersionColumns + ` ` + currentWhere + `>= ?2 AND object_key < ?3` + currentOrder + `?4`,
	ListLatestAfter:        `SELECT ` + sqltx.VersionColumns + ` ` + currentWhere + `> ?2` + currentOrder + `?3`,
	ListLatestAfterBounded: `SELECT ` + sqltx.VersionColumns + ` ` + currentWhere + `> ?2 AND object_key < ?3` + currentOrder + `?4`,

	// The same, keys only: versions_current covers them.
	ListLatestKeysFrom:         `SELECT object_key ` + currentWhere + `>= ?2` + currentOrder + `?3`,
	ListLatestKeysFromBounded:  `SELECT object_key ` + currentWhere + `>= ?2 AND object_key < ?3` + currentOrder + `?4`,
	ListLatestKeysAfter:        `SELECT object_key ` + currentWhere + `> ?2` + currentOrder + `?3`,
	ListLatestKeysAfterBounded: `SELECT object_key ` + currentWhere + `> ?2 AND object_key < ?3` + currentOrder + `?4`,

	ListKeyVersionsBefore: `SELECT ` + sqltx.VersionColumns + ` FROM versions
		WHERE bucket = ?1 AND object_key = ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4`,
	ListVersionsFrom:         `SELECT ` + sqltx.VersionColumns + ` ` + versionsWhere + `>= ?2` + versionsOrder + `?3`,
	ListVersionsFromBounded:  `SELECT ` + sqltx.VersionColumns + ` ` + versionsWhere + `>= ?2 AND object_key < ?3` + versionsOrder + `?4`,
	ListVersionsAfter:        `SELECT ` + sqltx.VersionColumns + ` ` + versionsWhere + `> ?2` + versionsOrder + `?3`,
	ListVersionsAfterBounded: `SELECT ` + sqltx.VersionColumns + ` ` + versionsWhere + `> ?2 AND object_key < ?3` + versionsOrder + `?4`,
}

// SetLatest marks the new latest version before unmarking the others, so
// that a missing versionID fails with ErrNotFound having changed nothing.
func (t *tx) SetLatest(bucket, key, versionID string) error {
	if versionID == "" {
		if _, err := t.exec(qUnmarkAll, bucket, key); err != nil {
			return fmt.Errorf("clear latest %s/%s: %w", bucket, key, err)
		}
		return nil
	}
	found, err := t.execOne(qMarkLatest, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("set latest %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("set latest %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	if _, err := t.exec(qUnmarkOthers, bucket, key, versionID); err != nil {
		return fmt.Errorf("set latest %s/%s %s: unmark others: %w", bucket, key, versionID, err)
	}
	return nil
}
