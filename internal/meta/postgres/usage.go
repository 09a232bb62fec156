package postgres

import (
	"fmt"
	"math/rand/v2"

	"github.com/quarrylabs/quarry/internal/meta"
)

// usageShards is how many counter rows a bucket's usage is spread over. A
// transaction adds to one of them, so concurrent writers of a bucket meet
// on a row (and one of them runs again) about once in usageShards; reads
// sum 16 rows of one index range, which costs little.
const usageShards = 16

const (
	qCreateUsage = `INSERT INTO bucket_usage (bucket, shard) SELECT $1, generate_series(0, $2 - 1)`
	// GROUP BY yields no row for a missing bucket, which has no shards.
	qGetUsage = `SELECT SUM(objects)::BIGINT, SUM(bytes)::BIGINT, SUM(versions)::BIGINT, SUM(version_bytes)::BIGINT
		FROM bucket_usage WHERE bucket = $1 GROUP BY bucket`
	qAddUsage = `UPDATE bucket_usage SET objects = objects + $1, bytes = bytes + $2,
		versions = versions + $3, version_bytes = version_bytes + $4 WHERE bucket = $5 AND shard = $6`
	// SetUsage puts the whole count in shard 0 and zeroes the others.
	qSetUsage = `UPDATE bucket_usage SET
		objects       = CASE WHEN shard = 0 THEN $1::BIGINT ELSE 0 END,
		bytes         = CASE WHEN shard = 0 THEN $2::BIGINT ELSE 0 END,
		versions      = CASE WHEN shard = 0 THEN $3::BIGINT ELSE 0 END,
		version_bytes = CASE WHEN shard = 0 THEN $4::BIGINT ELSE 0 END
		WHERE bucket = $5`
)

func (t *tx) GetUsage(bucket string) (meta.Usage, error) {
	var u meta.Usage
	err := t.queryRow(qGetUsage, bucket).Scan(&u.Objects, &u.Bytes, &u.Versions, &u.VersionBytes)
	if err != nil {
		return meta.Usage{}, fmt.Errorf("get bucket %q usage: %w", bucket, classify(err))
	}
	return u, nil
}

// AddUsage adds to the shard this transaction picked at random on its
// first AddUsage, so that one transaction's changes to a bucket touch one
// row however many objects it changes.
func (t *tx) AddUsage(bucket string, d meta.Usage) error {
	if t.shard == 0 {
		t.shard = 1 + rand.N(usageShards)
	}
	found, err := t.execOne(qAddUsage, d.Objects, d.Bytes, d.Versions, d.VersionBytes, bucket, t.shard-1)
	if err != nil {
		return fmt.Errorf("add bucket %q usage: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("add bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) SetUsage(bucket string, u meta.Usage) error {
	found, err := t.execOne(qSetUsage, u.Objects, u.Bytes, u.Versions, u.VersionBytes, bucket)
	if err != nil {
		return fmt.Errorf("set bucket %q usage: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	return nil
}
