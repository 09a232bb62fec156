package sqlite

import (
	"database/sql"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

const (
	qSetBucketACL  = `UPDATE buckets SET acl = ? WHERE name = ?`
	qSetBucketCORS = `UPDATE buckets SET cors = ? WHERE name = ?`

	// Bucket pages are a name range, as key listings are (see list.go);
	// an owner of 0 matches every bucket.
	bucketsWhere             = `FROM buckets WHERE (? = 0 OR owner_id = ?) AND name `
	bucketsOrder             = ` ORDER BY name LIMIT ?`
	qListBucketsFrom         = `SELECT ` + bucketCols + ` ` + bucketsWhere + `>= ?` + bucketsOrder
	qListBucketsFromBounded  = `SELECT ` + bucketCols + ` ` + bucketsWhere + `>= ? AND name < ?` + bucketsOrder
	qListBucketsAfter        = `SELECT ` + bucketCols + ` ` + bucketsWhere + `> ?` + bucketsOrder
	qListBucketsAfterBounded = `SELECT ` + bucketCols + ` ` + bucketsWhere + `> ? AND name < ?` + bucketsOrder
)

func (t *tx) SetBucketACL(bucket, acl string) error {
	found, err := t.execOne(qSetBucketACL, acl, bucket)
	if err != nil {
		return fmt.Errorf("set bucket %q acl: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q acl: %w", bucket, meta.ErrNotFound)
	}
	return nil
}

// SetBucketCORS stores NULL for an empty configuration, so that "none" has
// one spelling in the table.
func (t *tx) SetBucketCORS(bucket string, config []byte) error {
	var stored any
	if len(config) > 0 {
		stored = config
	}
	found, err := t.execOne(qSetBucketCORS, stored, bucket)
	if err != nil {
		return fmt.Errorf("set bucket %q cors: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q cors: %w", bucket, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) ListBucketsAfter(ownerID int64, prefix, after string, limit int) ([]meta.Bucket, error) {
	r := meta.RangeFor(prefix, after)
	if r.Empty {
		return nil, nil
	}
	q, rangeArgs := r.Pick(qListBucketsFrom, qListBucketsFromBounded, qListBucketsAfter, qListBucketsAfterBounded)
	args := append([]any{ownerID, ownerID}, rangeArgs...)
	args = append(args, sqlLimit(limit))
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list buckets of %d prefix %q after %q: %w", ownerID, prefix, after, err)
	}
	return scanBuckets(rows)
}

func scanBuckets(rows *sql.Rows) ([]meta.Bucket, error) {
	defer rows.Close()
	var out []meta.Bucket
	for rows.Next() {
		b, err := scanBucket(rows)
		if err != nil {
			return nil, fmt.Errorf("list buckets: %w", err)
		}
		out = append(out, *b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return out, nil
}
