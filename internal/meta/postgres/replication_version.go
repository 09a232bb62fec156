package postgres

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	// One statement, one round trip: checkpoints record hundreds of these
	// while writers change the same versions, and a shorter transaction
	// loses fewer serialisation conflicts. The upsert runs only when the
	// version exists (v); the summed-up status is computed from the other
	// targets' states and this one's new state, as the statement sees the
	// table before its own upsert; the version row is written only when
	// that status changes, and never for a replica. It returns whether the
	// version exists.
	qSetVersionReplication = `WITH v AS (
			SELECT 1 FROM versions WHERE bucket = $1::text AND object_key = $2::text AND version_id = $3::text
		), up AS (
			INSERT INTO version_replication (bucket, object_key, version_id, target_arn, status, error, updated)
			SELECT $1, $2, $3, $4::text, $5::text, $6::text, $7::bigint FROM v
			ON CONFLICT (bucket, object_key, version_id, target_arn)
			DO UPDATE SET status = excluded.status, error = excluded.error, updated = excluded.updated
		), summed AS (
			SELECT CASE
				WHEN $5 = 'FAILED' OR EXISTS (SELECT 1 FROM version_replication r WHERE r.bucket = $1
					AND r.object_key = $2 AND r.version_id = $3 AND r.target_arn <> $4 AND r.status = 'FAILED') THEN 'FAILED'
				WHEN $5 = 'PENDING' OR EXISTS (SELECT 1 FROM version_replication r WHERE r.bucket = $1
					AND r.object_key = $2 AND r.version_id = $3 AND r.target_arn <> $4 AND r.status = 'PENDING') THEN 'PENDING'
				ELSE 'COMPLETED' END AS status
		), written AS (
			UPDATE versions SET replication_status = summed.status FROM summed
			WHERE bucket = $1 AND object_key = $2 AND version_id = $3
				AND replication_status <> 'REPLICA' AND replication_status <> summed.status
		)
		SELECT EXISTS (SELECT 1 FROM v)`
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
	err := t.queryRow(qSetVersionReplication, r.Bucket, r.Key, r.VersionID, r.TargetARN,
		string(r.Status), r.Error, metasql.Nanos(r.Updated)).Scan(&exists)
	if err != nil {
		return fmt.Errorf("set replication of %s/%s %s to %s: %w", r.Bucket, r.Key, r.VersionID, r.TargetARN, classify(err))
	}
	if !exists {
		return fmt.Errorf("set replication of %s/%s %s to %s: %w", r.Bucket, r.Key, r.VersionID, r.TargetARN, meta.ErrNotFound)
	}
	return nil
}
