package postgres

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

const (
	qReplicatedVersionExists = `SELECT EXISTS (SELECT 1 FROM versions
		WHERE bucket = $1 AND object_key = $2 AND version_id = $3)`
	qUpsertVersionReplication = `INSERT INTO version_replication
		(bucket, object_key, version_id, target_arn, status, error, updated) VALUES ($1, $2, $3, $4, $5, $6, $7)
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
		WHERE bucket = $1 AND object_key = $2 AND version_id = $3 AND replication_status <> 'REPLICA'`
	qListVersionReplication = `SELECT bucket, object_key, version_id, target_arn, status, error, updated
		FROM version_replication WHERE bucket = $1 AND object_key = $2 AND version_id = $3 ORDER BY target_arn`
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
	if !allStorable(r.Bucket, r.Key, r.VersionID) {
		return fmt.Errorf("set replication of %q/%q %q: %w", r.Bucket, r.Key, r.VersionID, meta.ErrNotFound)
	}
	r.Error = freeText(r.Error)
	var exists bool
	if err := t.queryRow(qReplicatedVersionExists, r.Bucket, r.Key, r.VersionID).Scan(&exists); err != nil {
		return fmt.Errorf("set replication of %s/%s %s to %s: %w", r.Bucket, r.Key, r.VersionID, r.TargetARN, err)
	}
	if !exists {
		return fmt.Errorf("set replication of %s/%s %s to %s: %w", r.Bucket, r.Key, r.VersionID, r.TargetARN, meta.ErrNotFound)
	}
	_, err := t.exec(qUpsertVersionReplication, r.Bucket, r.Key, r.VersionID, r.TargetARN,
		string(r.Status), r.Error, nanosOf(r.Updated))
	if err != nil {
		return fmt.Errorf("set replication of %s/%s %s to %s: %w", r.Bucket, r.Key, r.VersionID, r.TargetARN, classify(err))
	}
	if _, err := t.exec(qSumVersionReplication, r.Bucket, r.Key, r.VersionID); err != nil {
		return fmt.Errorf("set replication of %s/%s %s: sum up: %w", r.Bucket, r.Key, r.VersionID, err)
	}
	return nil
}

func (t *tx) ListVersionReplication(bucket, key, versionID string) ([]meta.VersionReplication, error) {
	if !allStorable(bucket, key, versionID) {
		return nil, nil
	}
	rows, err := t.query(qListVersionReplication, bucket, key, versionID)
	if err != nil {
		return nil, fmt.Errorf("list replication of %s/%s %s: %w", bucket, key, versionID, err)
	}
	defer rows.Close()
	var out []meta.VersionReplication
	for rows.Next() {
		var (
			r       meta.VersionReplication
			status  string
			updated int64
		)
		if err := rows.Scan(&r.Bucket, &r.Key, &r.VersionID, &r.TargetARN, &status, &r.Error, &updated); err != nil {
			return nil, fmt.Errorf("list replication of %s/%s %s: %w", bucket, key, versionID, err)
		}
		r.Status = meta.ReplicationStatus(status)
		r.Updated = timeOf(updated)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list replication of %s/%s %s: %w", bucket, key, versionID, err)
	}
	return out, nil
}
