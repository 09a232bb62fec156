package sqlite

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// qCountUsage recounts meta.Usage from the version rows in one pass. The
// LEFT JOIN from buckets yields one row for an existing bucket, even an
// empty one, and none for a missing bucket.
const qCountUsage = `SELECT
		COALESCE(SUM(CASE WHEN v.is_latest = 1 AND v.delete_marker = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN v.is_latest = 1 AND v.delete_marker = 0 THEN v.size ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN v.delete_marker = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN v.delete_marker = 0 THEN v.size ELSE 0 END), 0)
	FROM buckets b LEFT JOIN versions v ON v.bucket = b.name
	WHERE b.name = ?
	GROUP BY b.name`

func (t *tx) CountUsage(bucket string) (meta.Usage, error) {
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
	qBucketExists         = `SELECT 1 FROM buckets WHERE name = ?`
	qCountVersionsFrom    = `SELECT COUNT(*) FROM versions WHERE bucket = ? AND object_key >= ?`
	qCountVersionsBounded = `SELECT COUNT(*) FROM versions WHERE bucket = ? AND object_key >= ? AND object_key < ?`
)

func (t *tx) CountVersions(bucket, prefix string) (int64, error) {
	var one int
	if err := t.queryRow(qBucketExists, bucket).Scan(&one); err != nil {
		return 0, fmt.Errorf("count versions of %q: %w", bucket, classify(err))
	}
	q, args := qCountVersionsFrom, []any{bucket, prefix}
	if upper, ok := meta.PrefixUpperBound(prefix); ok {
		q, args = qCountVersionsBounded, []any{bucket, prefix, upper}
	}
	var n int64
	if err := t.queryRow(q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count versions of %q prefix %q: %w", bucket, prefix, classify(err))
	}
	return n, nil
}
