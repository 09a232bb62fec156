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
