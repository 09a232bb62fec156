package sqlite

import "fmt"

const qDeleteBucketVersionStates = `DELETE FROM version_replication WHERE bucket = ?1`

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
