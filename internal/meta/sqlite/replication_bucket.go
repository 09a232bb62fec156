package sqlite

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

const (
	qSetBucketReplication      = `UPDATE buckets SET replication = ? WHERE name = ?`
	qDeleteBucketTargets       = `DELETE FROM bucket_replication_targets WHERE bucket = ?`
	qAddBucketTarget           = `INSERT INTO bucket_replication_targets (bucket, arn) VALUES (?, ?) ON CONFLICT DO NOTHING`
	qBucketsUsingTarget        = `SELECT bucket FROM bucket_replication_targets WHERE arn = ? ORDER BY bucket`
	qDeleteBucketVersionStates = `DELETE FROM version_replication WHERE bucket = ?`
)

// SetBucketReplication replaces the configuration and the set of target
// ARNs together, so the two never disagree. An empty config is no
// configuration, like nil: the ARNs are ignored and the bucket left with
// none.
func (t *tx) SetBucketReplication(bucket string, config []byte, targetARNs []string) error {
	var stored any // NULL unless there is a configuration
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
	rows, err := t.query(qBucketsUsingTarget, arn)
	if err != nil {
		return nil, fmt.Errorf("buckets using target %s: %w", arn, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("buckets using target %s: %w", arn, err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("buckets using target %s: %w", arn, err)
	}
	return out, nil
}

// deleteBucketReplication removes what a bucket's replication and
// notifications left behind: its target list, the states of its versions
// and its outbox entries (an entry of a deleted bucket could otherwise copy
// a later bucket of the same name to a target that bucket never named).
func (t *tx) deleteBucketReplication(bucket string) error {
	for _, q := range []struct{ what, query string }{
		{"replication targets", qDeleteBucketTargets},
		{"version replication states", qDeleteBucketVersionStates},
		{"outbox entries", qDeleteBucketOutbox},
		{"notification targets", qDeleteBucketNotifyTargets},
	} {
		if _, err := t.exec(q.query, bucket); err != nil {
			return fmt.Errorf("delete %s: %w", q.what, err)
		}
	}
	return nil
}
