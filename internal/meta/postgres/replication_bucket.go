package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/internal/meta"
)

const (
	qSetBucketReplication = `UPDATE buckets SET replication = $1 WHERE name = $2`
	qDeleteBucketTargets  = `DELETE FROM bucket_replication_targets WHERE bucket = $1`
	qAddBucketTarget      = `INSERT INTO bucket_replication_targets (bucket, arn) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	qBucketsUsingTarget   = `SELECT bucket FROM bucket_replication_targets WHERE arn = $1 ORDER BY bucket`
)

// SetBucketReplication replaces the configuration and the set of target
// ARNs together, so the two never disagree. An empty config is no
// configuration, like nil: the ARNs are ignored and the bucket left with
// none.
func (t *tx) SetBucketReplication(bucket string, config []byte, targetARNs []string) error {
	if !storable(bucket) {
		return fmt.Errorf("set bucket %q replication: %w", bucket, meta.ErrNotFound)
	}
	var stored []byte // NULL unless there is a configuration
	if len(config) > 0 {
		stored = config
	}
	found, err := t.execOne(qSetBucketReplication, stored, bucket)
	if err != nil {
		return fmt.Errorf("set bucket %q replication: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q replication: %w", bucket, meta.ErrNotFound)
	}
	if _, err := t.exec(qDeleteBucketTargets, bucket); err != nil {
		return fmt.Errorf("set bucket %q replication: clear targets: %w", bucket, err)
	}
	if stored == nil {
		return nil
	}
	for _, arn := range targetARNs {
		if _, err := t.exec(qAddBucketTarget, bucket, arn); err != nil {
			return fmt.Errorf("set bucket %q replication: target %s: %w", bucket, arn, classify(err))
		}
	}
	return nil
}

func (t *tx) BucketsUsingTarget(arn string) ([]string, error) {
	if !storable(arn) {
		return nil, nil
	}
	names, err := t.queryStrings(qBucketsUsingTarget, arn)
	if err != nil {
		return nil, fmt.Errorf("buckets using target %s: %w", arn, err)
	}
	return names, nil
}

// queryStrings runs a query of one text column and returns its values; nil
// when there are none.
func (t *tx) queryStrings(query string, args ...any) ([]string, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}
