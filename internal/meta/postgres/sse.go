package postgres

import (
	"database/sql"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	qAddSSEKey    = `INSERT INTO sse_keys (sealed, created_at) VALUES ($1, $2) RETURNING id`
	qListSSEKeys  = `SELECT id, sealed, created_at FROM sse_keys ORDER BY id`
	qDeleteSSEKey = `DELETE FROM sse_keys WHERE id = $1`

	qAddSSEEvent   = `INSERT INTO sse_events (user_name, time, code, message) VALUES ($1, $2, $3, $4) RETURNING id`
	qListSSEEvents = `SELECT id, user_name, time, code, message FROM sse_events ORDER BY id DESC LIMIT $1`

	qListSealedVersions = `SELECT seq, bucket, object_key, version_id, segments FROM versions
		WHERE sse <> '' AND seq > $1 ORDER BY seq LIMIT $2`
	qSetVersionSegments = `UPDATE versions SET segments = $1 WHERE bucket = $2 AND object_key = $3 AND version_id = $4`
	// A row comparison is one index range on parts_sealed.
	qListSealedParts = `SELECT ` + partCols + ` FROM parts
		WHERE sealed_key IS NOT NULL AND (upload_id, number) > ($1, $2)
		ORDER BY upload_id, number LIMIT $3`
	qSetPartSealedKey = `UPDATE parts SET sealed_key = $1 WHERE upload_id = $2 AND number = $3`
)

func (t *tx) AddSSEKey(k *meta.SSEKey) error {
	sealed := k.Sealed
	if sealed == nil {
		sealed = []byte{}
	}
	if err := t.queryRow(qAddSSEKey, sealed, metasql.Nanos(k.CreatedAt)).Scan(&k.ID); err != nil {
		return fmt.Errorf("add sse key: %w", classifyInsert(err))
	}
	return nil
}

func (t *tx) SSEKeys() ([]meta.SSEKey, error) {
	rows, err := t.query(qListSSEKeys)
	if err != nil {
		return nil, fmt.Errorf("list sse keys: %w", err)
	}
	defer rows.Close()
	out := []meta.SSEKey{}
	for rows.Next() {
		var k meta.SSEKey
		var created int64
		if err := rows.Scan(&k.ID, &k.Sealed, &created); err != nil {
			return nil, fmt.Errorf("list sse keys: %w", err)
		}
		k.CreatedAt = metasql.Time(created)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sse keys: %w", err)
	}
	return out, nil
}

func (t *tx) DeleteSSEKey(id int64) error {
	found, err := t.execOne(qDeleteSSEKey, id)
	if err != nil {
		return fmt.Errorf("delete sse key %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("delete sse key %d: %w", id, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) AddSSEEvent(e *meta.SSEEvent) error {
	err := t.queryRow(qAddSSEEvent, e.User, metasql.Nanos(e.Time), e.Code, e.Message).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("add sse event %s: %w", e.Code, classifyInsert(err))
	}
	return nil
}

func (t *tx) ListSSEEvents(limit int) ([]meta.SSEEvent, error) {
	rows, err := t.query(qListSSEEvents, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list sse events: %w", err)
	}
	defer rows.Close()
	out := []meta.SSEEvent{}
	for rows.Next() {
		var e meta.SSEEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.User, &at, &e.Code, &e.Message); err != nil {
			return nil, fmt.Errorf("list sse events: %w", err)
		}
		e.Time = metasql.Time(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sse events: %w", err)
	}
	return out, nil
}

func (t *tx) ListSealedVersions(afterSeq int64, limit int) ([]meta.SealedVersion, error) {
	rows, err := t.query(qListSealedVersions, afterSeq, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list sealed versions: %w", err)
	}
	defer rows.Close()
	out := []meta.SealedVersion{}
	for rows.Next() {
		var v meta.SealedVersion
		var segs sql.NullString
		if err := rows.Scan(&v.Seq, &v.Bucket, &v.Key, &v.VersionID, &segs); err != nil {
			return nil, fmt.Errorf("list sealed versions: %w", err)
		}
		if v.Segments, err = metasql.DecodeSegments(segs); err != nil {
			return nil, fmt.Errorf("version %s/%s %s segments: %w", v.Bucket, v.Key, v.VersionID, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sealed versions: %w", err)
	}
	return out, nil
}

func (t *tx) SetVersionSegments(bucket, key, versionID string, segs []meta.Segment) error {
	enc, err := metasql.EncodeSegments(segs)
	if err != nil {
		return fmt.Errorf("set segments %s/%s %s: encode: %w", bucket, key, versionID, err)
	}
	found, err := t.execOne(qSetVersionSegments, enc, bucket, key, versionID)
	if err != nil {
		return fmt.Errorf("set segments %s/%s %s: %w", bucket, key, versionID, err)
	}
	if !found {
		return fmt.Errorf("set segments %s/%s %s: %w", bucket, key, versionID, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) ListSealedParts(afterUploadID string, afterNumber, limit int) ([]meta.Part, error) {
	rows, err := t.query(qListSealedParts, afterUploadID, afterNumber, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list sealed parts: %w", err)
	}
	out, err := scanParts(rows)
	if err != nil {
		return nil, fmt.Errorf("list sealed parts: %w", err)
	}
	return out, nil
}

func (t *tx) SetPartSealedKey(uploadID string, number int, sealedKey []byte) error {
	found, err := t.execOne(qSetPartSealedKey, metasql.NullBytes(sealedKey), uploadID, number)
	if err != nil {
		return fmt.Errorf("set sealed key of part %s #%d: %w", uploadID, number, err)
	}
	if !found {
		return fmt.Errorf("set sealed key of part %s #%d: %w", uploadID, number, meta.ErrNotFound)
	}
	return nil
}
