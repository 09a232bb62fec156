package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	versionCols = `seq, bucket, object_key, version_id, is_latest, delete_marker, size, etag,
		last_modified, content_type, headers, user_meta, checksums, tags, segments, owner_id, replication_status, sse, is_inline`

	qPutVersion = `INSERT INTO versions (bucket, object_key, version_id, is_latest, delete_marker, size, etag,
		last_modified, content_type, headers, user_meta, checksums, tags, segments, owner_id, replication_status, sse,
		is_inline)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`
	qPutInline  = `INSERT INTO version_inline (seq, data) VALUES (?, ?)`
	qGetInline  = `SELECT data FROM version_inline WHERE seq = ?`
	qGetVersion = `SELECT ` + versionCols + ` FROM versions
		WHERE bucket = ? AND object_key = ? AND version_id = ?`
	// Normally one version is latest; should a caller leave two marked
	// between PutVersion and SetLatest, the newest wins.
	qGetLatest = `SELECT ` + versionCols + ` FROM versions
		WHERE bucket = ? AND object_key = ? AND is_latest = 1 ORDER BY seq DESC LIMIT 1`
	qNewestVersion = `SELECT ` + versionCols + ` FROM versions
		WHERE bucket = ? AND object_key = ? ORDER BY seq DESC LIMIT 1`
	qDeleteVersion = `DELETE FROM versions WHERE bucket = ? AND object_key = ? AND version_id = ?`

	qMarkLatest   = `UPDATE versions SET is_latest = 1 WHERE bucket = ? AND object_key = ? AND version_id = ?`
	qUnmarkOthers = `UPDATE versions SET is_latest = 0
		WHERE bucket = ? AND object_key = ? AND is_latest = 1 AND version_id <> ?`
	qUnmarkAll = `UPDATE versions SET is_latest = 0 WHERE bucket = ? AND object_key = ? AND is_latest = 1`

	qSetVersionTags = `UPDATE versions SET tags = ? WHERE bucket = ? AND object_key = ? AND version_id = ?`
	qHasVersions    = `SELECT 1 FROM versions WHERE bucket = ? LIMIT 1`
)

func (t *tx) PutVersion(v *meta.Version) error {
	maps, err := metasql.EncodeMaps(v.Headers, v.UserMeta, v.Checksums, v.Tags)
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: encode: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	segs, err := metasql.EncodeSegments(v.Segments)
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: encode segments: %w", v.Bucket, v.Key, v.VersionID, err)
	}
	err = t.queryRow(qPutVersion, v.Bucket, v.Key, v.VersionID, boolInt(v.IsLatest), boolInt(v.DeleteMarker),
		v.Size, v.ETag, metasql.Nanos(v.LastModified), v.ContentType, maps[0], maps[1], maps[2], maps[3], segs, v.OwnerID,
		string(v.ReplicationStatus), v.SSE, boolInt(v.Inline),
	).Scan(&v.Seq)
	if err != nil {
		return fmt.Errorf("put version %s/%s %s: %w", v.Bucket, v.Key, v.VersionID, classifyInsert(err))
	}
	if v.Inline {
		data := v.InlineData
		if data == nil {
			data = []byte{} // NOT NULL: an empty inline object is zero bytes
		}
		if _, err := t.exec(qPutInline, v.Seq, data); err != nil {
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
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

func (t *tx) GetVersion(bucket, key, versionID string) (*meta.Version, error) {
	v, err := scanVersion(t.queryRow(qGetVersion, bucket, key, versionID))
	if err != nil {
		return nil, fmt.Errorf("get version %s/%s %s: %w", bucket, key, versionID, classify(err))
	}
	return v, nil
}

func (t *tx) GetLatest(bucket, key string) (*meta.Version, error) {
	v, err := scanVersion(t.queryRow(qGetLatest, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("get latest %s/%s: %w", bucket, key, classify(err))
	}
	return v, nil
}

func (t *tx) NewestVersion(bucket, key string) (*meta.Version, error) {
	v, err := scanVersion(t.queryRow(qNewestVersion, bucket, key))
	if err != nil {
		return nil, fmt.Errorf("newest version %s/%s: %w", bucket, key, classify(err))
	}
	return v, nil
}

// DeleteVersion also removes the version's per-target replication states.
// Its outbox entries stay: the replication delivery finds the version gone and drops
// them, which also covers a task already claimed when the version goes.
func (t *tx) DeleteVersion(bucket, key, versionID string) error {
	if _, err := t.exec(qDeleteVersionReplication, bucket, key, versionID); err != nil {
		return fmt.Errorf("delete version %s/%s %s: replication states: %w", bucket, key, versionID, err)
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

func (t *tx) SetVersionTags(bucket, key, versionID string, tags map[string]string) error {
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
	var one int
	err := t.queryRow(qHasVersions, bucket).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("has versions %s: %w", bucket, err)
	}
	return true, nil
}

func scanVersion(s scanner) (*meta.Version, error) {
	var (
		v                                  meta.Version
		latest, marker                     int
		modified                           int64
		headers, userMeta, checksums, tags sql.NullString
		segments                           sql.NullString
		replication                        string
		inline                             int
	)
	err := s.Scan(&v.Seq, &v.Bucket, &v.Key, &v.VersionID, &latest, &marker, &v.Size, &v.ETag,
		&modified, &v.ContentType, &headers, &userMeta, &checksums, &tags, &segments, &v.OwnerID, &replication, &v.SSE, &inline)
	if err != nil {
		return nil, err
	}
	v.Inline = inline != 0
	v.ReplicationStatus = meta.ReplicationStatus(replication)
	v.IsLatest = latest != 0
	v.DeleteMarker = marker != 0
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
