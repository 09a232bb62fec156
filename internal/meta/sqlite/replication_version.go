package sqlite

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	qVersionExists            = `SELECT 1 FROM versions WHERE bucket = ? AND object_key = ? AND version_id = ?`
	qUpsertVersionReplication = `INSERT INTO version_replication
		(bucket, object_key, version_id, target_arn, status, error, updated) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (bucket, object_key, version_id, target_arn)
		DO UPDATE SET status = excluded.status, error = excluded.error, updated = excluded.updated`
	// The version's summed-up status from all its targets' states; a
	// replica stays a replica whatever is recorded.
	qSumVersionReplication = `UPDATE versions SET replication_status = CASE
			WHEN EXISTS (SELECT 1 FROM version_replication r WHERE r.bucket = versions.bucket
				AND r.object_key = versions.object_key AND r.version_id = versions.version_id
				AND r.status = 'FAILED') THEN 'FAILED'
			WHEN EXISTS (SELECT 1 FROM version_replication r WHERE r.bucket = versions.bucket
				AND r.object_key = versions.object_key AND r.version_id = versions.version_id
				AND r.status = 'PENDING') THEN 'PENDING'
			ELSE 'COMPLETED' END
		WHERE bucket = ? AND object_key = ? AND version_id = ? AND replication_status <> 'REPLICA'`
	qDeleteVersionReplication = `DELETE FROM version_replication WHERE bucket = ? AND object_key = ? AND version_id = ?`
)

// SetVersionReplication accepts only the per-target states PENDING,
// COMPLETED and FAILED: REPLICA and none describe a version, not a copy.
func (t *tx) SetVersionReplication(r meta.VersionReplication) error {
	switch r.Status {
	case meta.ReplicationPending, meta.ReplicationCompleted, meta.ReplicationFailed:
	default:
		return fmt.Errorf("set replication of %s/%s %s to %s: invalid status %q",
			r.Bucket, r.Key, r.VersionID, r.TargetARN, r.Status)
	}
	var one int
	if err := t.queryRow(qVersionExists, r.Bucket, r.Key, r.VersionID).Scan(&one); err != nil {
		return fmt.Errorf("set replication of %s/%s %s to %s: %w", r.Bucket, r.Key, r.VersionID, r.TargetARN, classify(err))
	}
	_, err := t.exec(qUpsertVersionReplication, r.Bucket, r.Key, r.VersionID, r.TargetARN,
		string(r.Status), r.Error, metasql.Nanos(r.Updated))
	if err != nil {
		return fmt.Errorf("set replication of %s/%s %s to %s: %w", r.Bucket, r.Key, r.VersionID, r.TargetARN, classify(err))
	}
	if _, err := t.exec(qSumVersionReplication, r.Bucket, r.Key, r.VersionID); err != nil {
		return fmt.Errorf("set replication of %s/%s %s: sum up: %w", r.Bucket, r.Key, r.VersionID, err)
	}
	return nil
}
