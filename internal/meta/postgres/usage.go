package postgres

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

// usageShards is how many counter rows a bucket's usage is spread over. A
// transaction adds to one of them, the next in turn on its node (see
// Store.shards), so concurrent writers of a bucket seldom update the same
// row, which under SERIALIZABLE makes one of them run again; reads sum 16
// rows of one index range, which costs little.
const usageShards = 16

const (
	qCreateUsage = `INSERT INTO bucket_usage (bucket, shard) SELECT $1, generate_series(0, $2 - 1)`
	// GROUP BY yields no row for a missing bucket, which has no shards.
	// The correction row (bucket_usage_correction) exists once a
	// reconciliation corrected the bucket.
	qGetUsage = `SELECT SUM(objects)::BIGINT, SUM(bytes)::BIGINT, SUM(versions)::BIGINT, SUM(version_bytes)::BIGINT
		FROM (SELECT bucket, objects, bytes, versions, version_bytes FROM bucket_usage WHERE bucket = $1
			UNION ALL
			SELECT bucket, objects, bytes, versions, version_bytes FROM bucket_usage_correction WHERE bucket = $1) u
		GROUP BY bucket`
	qCorrectUsage = `INSERT INTO bucket_usage_correction AS c (bucket, objects, bytes, versions, version_bytes)
		VALUES ($5, $1, $2, $3, $4)
		ON CONFLICT (bucket) DO UPDATE SET objects = c.objects + $1, bytes = c.bytes + $2,
			versions = c.versions + $3, version_bytes = c.version_bytes + $4`
	qAddUsage = `UPDATE bucket_usage SET objects = objects + $1, bytes = bytes + $2,
		versions = versions + $3, version_bytes = version_bytes + $4 WHERE bucket = $5 AND shard = $6`
)

func (t *tx) GetUsage(bucket string) (meta.Usage, error) {
	var u meta.Usage
	err := t.queryRow(qGetUsage, bucket).Scan(&u.Objects, &u.Bytes, &u.Versions, &u.VersionBytes)
	if err != nil {
		return meta.Usage{}, fmt.Errorf("get bucket %q usage: %w", bucket, classify(err))
	}
	return u, nil
}

// AddUsage adds to the shard the store gave this transaction, so that one
// transaction's changes to a bucket touch one row however many objects it
// changes, and transactions in flight together touch different rows.
func (t *tx) AddUsage(bucket string, d meta.Usage) error {
	found, err := t.execOne(qAddUsage, d.Objects, d.Bytes, d.Versions, d.VersionBytes, bucket, t.shard)
	if err != nil {
		return fmt.Errorf("add bucket %q usage: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("add bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	return nil
}

// SetUsage adds the difference between u and the counters' sum to the
// bucket's correction row (see migration 0003): it writes no shard, so it
// never conflicts with the writers adding to them.
func (t *tx) SetUsage(bucket string, u meta.Usage) error {
	sum, err := t.GetUsage(bucket)
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("set bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("set bucket %q usage: %w", bucket, err)
	}
	d := u.Add(meta.Usage{Objects: -sum.Objects, Bytes: -sum.Bytes, Versions: -sum.Versions, VersionBytes: -sum.VersionBytes})
	if _, err := t.exec(qCorrectUsage, d.Objects, d.Bytes, d.Versions, d.VersionBytes, bucket); err != nil {
		return fmt.Errorf("set bucket %q usage: %w", bucket, classifyInsert(err))
	}
	return nil
}
