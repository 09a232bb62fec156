package sqlite

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
)

var _ meta.ReplicationTx = (*tx)(nil)

const (
	replicationTargetCols = `arn, name, endpoint, region, bucket, access_key, secret_enc,
		insecure_skip_verify, owner_id, created_at`

	qCreateReplicationTarget = `INSERT INTO replication_targets (` + replicationTargetCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qGetReplicationTarget    = `SELECT ` + replicationTargetCols + ` FROM replication_targets WHERE arn = ?`
	qListReplicationTargets  = `SELECT ` + replicationTargetCols + ` FROM replication_targets ORDER BY name`
	qDeleteReplicationTarget = `DELETE FROM replication_targets WHERE arn = ?`
)

func (t *tx) CreateReplicationTarget(rt *meta.ReplicationTarget) error {
	if rt.ARN == "" || rt.Name == "" {
		return errors.New("create replication target: ARN and name are required")
	}
	_, err := t.exec(qCreateReplicationTarget, rt.ARN, rt.Name, rt.Endpoint, rt.Region, rt.Bucket,
		rt.AccessKey, rt.SecretEnc, boolInt(rt.InsecureSkipVerify), rt.OwnerID, toNanos(rt.CreatedAt))
	if err != nil {
		return fmt.Errorf("create replication target %s (%q): %w", rt.ARN, rt.Name, classify(err))
	}
	return nil
}

func (t *tx) GetReplicationTarget(arn string) (*meta.ReplicationTarget, error) {
	rt, err := scanReplicationTarget(t.queryRow(qGetReplicationTarget, arn))
	if err != nil {
		return nil, fmt.Errorf("get replication target %s: %w", arn, classify(err))
	}
	return rt, nil
}

// ListReplicationTargets lists every target by name.
func (t *tx) ListReplicationTargets() ([]meta.ReplicationTarget, error) {
	rows, err := t.query(qListReplicationTargets)
	if err != nil {
		return nil, fmt.Errorf("list replication targets: %w", err)
	}
	defer rows.Close()
	var out []meta.ReplicationTarget
	for rows.Next() {
		rt, err := scanReplicationTarget(rows)
		if err != nil {
			return nil, fmt.Errorf("list replication targets: %w", err)
		}
		out = append(out, *rt)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list replication targets: %w", err)
	}
	return out, nil
}

// DeleteReplicationTarget deletes the target whether or not buckets still
// name it: refusing a target in use is the caller's rule, checked with
// BucketsUsingTarget in the same transaction.
func (t *tx) DeleteReplicationTarget(arn string) error {
	found, err := t.execOne(qDeleteReplicationTarget, arn)
	if err != nil {
		return fmt.Errorf("delete replication target %s: %w", arn, err)
	}
	if !found {
		return fmt.Errorf("delete replication target %s: %w", arn, meta.ErrNotFound)
	}
	return nil
}

func scanReplicationTarget(s scanner) (*meta.ReplicationTarget, error) {
	var (
		rt       meta.ReplicationTarget
		insecure int
		created  int64
	)
	err := s.Scan(&rt.ARN, &rt.Name, &rt.Endpoint, &rt.Region, &rt.Bucket, &rt.AccessKey, &rt.SecretEnc,
		&insecure, &rt.OwnerID, &created)
	if err != nil {
		return nil, err
	}
	rt.InsecureSkipVerify = insecure != 0
	rt.CreatedAt = fromNanos(created)
	return &rt, nil
}
