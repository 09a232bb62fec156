package postgres

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
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
	versionCols = `seq, bucket, object_key, version_id, is_latest, delete_marker, size, etag,
		last_modified, content_type, headers, user_meta, checksums, tags, segments, owner_id, replication_status, sse, is_inline`

	qPutVersion = `INSERT INTO versions (bucket, object_key, version_id, is_latest, delete_marker, size, etag,
		last_modified, content_type, headers, user_meta, checksums, tags, segments, owner_id, replication_status, sse,
		is_inline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING seq`
	qPutInline  = `INSERT INTO version_inline (seq, data) VALUES ($1, $2)`
	qGetInline  = `SELECT data FROM version_inline WHERE seq = $1`
	qGetVersion = `SELECT ` + versionCols + ` FROM versions
		WHERE bucket = $1 AND object_key = $2 AND version_id = $3`
	// versions_one_latest keeps this to one row.
	qGetLatest = `SELECT ` + versionCols + ` FROM versions
		WHERE bucket = $1 AND object_key = $2 AND is_latest`
	qNewestVersion = `SELECT ` + versionCols + ` FROM versions
		WHERE bucket = $1 AND object_key = $2 ORDER BY seq DESC LIMIT 1`
	qDeleteVersion = `DELETE FROM versions WHERE bucket = $1 AND object_key = $2 AND version_id = $3`

	qIsLatest   = `SELECT is_latest FROM versions WHERE bucket = $1 AND object_key = $2 AND version_id = $3`
	qMarkLatest = `UPDATE versions SET is_latest = TRUE WHERE bucket = $1 AND object_key = $2 AND version_id = $3`
	qUnmarkAll  = `UPDATE versions SET is_latest = FALSE WHERE bucket = $1 AND object_key = $2 AND is_latest`

	qSetVersionTags = `UPDATE versions SET tags = $1 WHERE bucket = $2 AND object_key = $3 AND version_id = $4`
	qHasVersions    = `SELECT EXISTS (SELECT 1 FROM versions WHERE bucket = $1)`

	qSetVersionACL = `UPDATE versions SET acl = $1 WHERE bucket = $2 AND object_key = $3 AND version_id = $4`
	qGetVersionACL = `SELECT acl FROM versions WHERE bucket = $1 AND object_key = $2 AND version_id = $3`
)

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

func (t *tx) PutVersion(v *meta.Version) error {
	maps, err := metasql.EncodeMaps(v.Headers, v.UserMeta, v.Checksums, v.Tags)
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: encode: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	segs, err := metasql.EncodeSegments(v.Segments)
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: encode segments: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	err = t.queryRow(qPutVersion, v.Bucket, v.Key, v.VersionID, v.IsLatest, v.DeleteMarker,
		v.Size, v.ETag, metasql.Nanos(v.LastModified), v.ContentType, maps[0], maps[1], maps[2], maps[3], segs, v.OwnerID,
		string(v.ReplicationStatus), v.SSE, v.Inline,
	).Scan(&v.Seq)
	if latestTaken(err) {
		return fmt.Errorf("put version %s/%s %s: another version of the key is latest: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: %w", v.Bucket, v.Key, v.VersionID, classifyInsert(err))
	}
	if v.Inline {
		// NOT NULL: an empty inline object is zero bytes.
		if _, err := t.exec(qPutInline, v.Seq, metasql.NotNull(v.InlineData)); err != nil {
			return fmt.Errorf("put version %s/%s %s: inline data: %w", v.Bucket, v.Key, v.VersionID, err)
		}
	}
	return nil
}

func (t *tx) GetInline(seq int64) ([]byte, error) {
	var data []byte
	if err := t.queryRow(qGetInline, seq).Scan(&data); err != nil {
		return nil, fmt.Errorf("get inline data of version %d: %w", seq, classify(err))
	}
	return metasql.NotNull(data), nil
}

func (t *tx) GetVersion(bucket, key, versionID string) (*meta.Version, error) {
	if err := noText("get version", bucket, key, versionID); err != nil {
		return nil, err
	}
	v, err := scanVersion(t.queryRow(qGetVersion, bucket, key, versionID))
	if err != nil {
		return nil, fmt.Errorf("get version %s/%s %s: %w", bucket, key, versionID, classify(err))
	}
	return v, nil
}

func (t *tx) GetLatest(bucket, key string) (*meta.Version, error) {
	if err := noText("get latest", bucket, key); err != nil {
		return nil, err
	}
	v, err := scanVersion(t.queryRow(qGetLatest, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("get latest %s/%s: %w", bucket, key, classify(err))
	}
	return v, nil
}

func (t *tx) NewestVersion(bucket, key string) (*meta.Version, error) {
	if err := noText("newest version", bucket, key); err != nil {
		return nil, err
	}
	v, err := scanVersion(t.queryRow(qNewestVersion, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("newest version %s/%s: %w", bucket, key, classify(err))
	}
	return v, nil
}

// DeleteVersion removes the row; its replication states go by a trigger
// (0002) and its inline data by cascade.
func (t *tx) DeleteVersion(bucket, key, versionID string) error {
	if err := noText("delete version", bucket, key, versionID); err != nil {
		return err
	}
	found, err := t.execOne(qDeleteVersion, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("delete version %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("delete version %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
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

func (t *tx) SetVersionTags(bucket, key, versionID string, tags map[string]string) error {
	if err := noText("set tags", bucket, key, versionID); err != nil {
		return err
	}
	enc, err := metasql.EncodeMap(tags)
	if err != nil {
		return fmt.Errorf("set tags %s/%s %s: encode: %w", bucket, key, versionID, err)
	}
	found, err := t.execOne(qSetVersionTags, enc, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("set tags %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("set tags %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) HasVersions(bucket string) (bool, error) {
	var has bool
	if err := t.queryRow(qHasVersions, bucket).Scan(&has); err != nil {
		return false, fmt.Errorf("has versions %s: %w", bucket, err)
	}
	return has, nil
}

func (t *tx) SetVersionACL(bucket, key, versionID, acl string) error {
	if err := noText("set acl", bucket, key, versionID); err != nil {
		return err
	}
	found, err := t.execOne(qSetVersionACL, acl, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("set acl of %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("set acl of %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) GetVersionACL(bucket, key, versionID string) (string, error) {
	if err := noText("get acl", bucket, key, versionID); err != nil {
		return "", err
	}
	var acl string
	if err := t.queryRow(qGetVersionACL, bucket, key, versionID).Scan(&acl); err != nil {
		return "", fmt.Errorf("get acl of %s/%s %s: %w", bucket, key, versionID, classify(err))
	}
	return acl, nil
}

func scanVersion(s scanner) (*meta.Version, error) {
	var (
		v                                  meta.Version
		modified                           int64
		headers, userMeta, checksums, tags sql.NullString
		segments                           sql.NullString
		replication                        string
	)
	err := s.Scan(&v.Seq, &v.Bucket, &v.Key, &v.VersionID, &v.IsLatest, &v.DeleteMarker, &v.Size, &v.ETag,
		&modified, &v.ContentType, &headers, &userMeta, &checksums, &tags, &segments, &v.OwnerID, &replication, &v.SSE, &v.Inline)
	if err != nil {
		return nil, err
	}
	v.ReplicationStatus = meta.ReplicationStatus(replication)
	v.LastModified = metasql.Time(modified)
	if v.Headers, err = metasql.DecodeMap(headers); err != nil {
		return nil, fmt.Errorf("version %s/%s %s headers: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if v.UserMeta, err = metasql.DecodeMap(userMeta); err != nil {
		return nil, fmt.Errorf("version %s/%s %s user metadata: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if v.Checksums, err = metasql.DecodeMap(checksums); err != nil {
		return nil, fmt.Errorf("version %s/%s %s checksums: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if v.Tags, err = metasql.DecodeMap(tags); err != nil {
		return nil, fmt.Errorf("version %s/%s %s tags: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	if v.Segments, err = metasql.DecodeSegments(segments); err != nil {
		return nil, fmt.Errorf("version %s/%s %s segments: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	return &v, nil
}

// scanVersions appends the versions of rows to out.
func scanVersions(out []meta.Version, rows pgx.Rows) ([]meta.Version, error) {
	defer rows.Close()
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}
