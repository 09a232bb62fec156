package postgres

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// qCountUsage recounts meta.Usage from the version rows in one pass. The
// LEFT JOIN from buckets yields one row for an existing bucket, even an
// empty one, and none for a missing bucket.
const qCountUsage = `SELECT
		COALESCE(SUM(CASE WHEN v.is_latest AND NOT v.delete_marker THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN v.is_latest AND NOT v.delete_marker THEN v.size ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN NOT v.delete_marker THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN NOT v.delete_marker THEN v.size ELSE 0 END), 0)
	FROM buckets b LEFT JOIN versions v ON v.bucket = b.name
	WHERE b.name = $1
	GROUP BY b.name`

func (t *tx) CountUsage(bucket string) (meta.Usage, error) {
	if !storable(bucket) {
		return meta.Usage{}, fmt.Errorf("count bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	var u meta.Usage
	err := t.queryRow(qCountUsage, bucket).Scan(&u.Objects, &u.Bytes, &u.Versions, &u.VersionBytes)
	if err != nil {
		return meta.Usage{}, fmt.Errorf("count bucket %q usage: %w", bucket, classify(err))
	}
	return u, nil
}

// Version rows under a prefix, by the index range a listing would scan;
// the bucket's own row tells a missing bucket from an empty one.
const (
	qCountBucketExists    = `SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $1)`
	qCountVersionsFrom    = `SELECT COUNT(*) FROM versions WHERE bucket = $1 AND object_key >= $2`
	qCountVersionsBounded = `SELECT COUNT(*) FROM versions WHERE bucket = $1 AND object_key >= $2 AND object_key < $3`
)

func (t *tx) CountVersions(bucket, prefix string) (int64, error) {
	if !storable(bucket) {
		return 0, fmt.Errorf("count versions of %q: %w", bucket, meta.ErrNotFound)
	}
	var exists bool
	if err := t.queryRow(qCountBucketExists, bucket).Scan(&exists); err != nil {
		return 0, fmt.Errorf("count versions of %q: %w", bucket, err)
	}
	if !exists {
		return 0, fmt.Errorf("count versions of %q: %w", bucket, meta.ErrNotFound)
	}
	if !storable(prefix) {
		return 0, nil // keys are text: none starts with this prefix
	}
	q, args := qCountVersionsFrom, []any{bucket, prefix}
	if upper, ok := textUpperBound(prefix); ok {
		q, args = qCountVersionsBounded, []any{bucket, prefix, upper}
	}
	var n int64
	if err := t.queryRow(q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count versions of %q prefix %q: %w", bucket, prefix, err)
	}
	return n, nil
}
