package sqlite

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarrylabs/quarry/internal/meta"
)

// The outbox. A task is free when no replicator holds it (lease_owner empty)
// or its lease expired strictly before now, the same rule as job leases.
const (
	replicationTaskCols = `id, bucket, object_key, version_id, target_arn, delete_marker, attempts,
		next_attempt, last_error, lease_owner, lease_expires, created_at`

	qEnqueueReplication = `INSERT INTO replication_tasks (bucket, object_key, version_id, target_arn,
		delete_marker, attempts, next_attempt, last_error, lease_owner, lease_expires, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	// One statement, so the tasks selected are the tasks leased; the
	// subquery walks replication_tasks_claim in order and stops at limit.
	qClaimReplicationTasks = `UPDATE replication_tasks SET lease_owner = ?, lease_expires = ?
		WHERE id IN (SELECT id FROM replication_tasks
			WHERE next_attempt <= ? AND (lease_owner = '' OR lease_expires < ?)
			ORDER BY next_attempt, id LIMIT ?)
		RETURNING ` + replicationTaskCols
	qDeleteReplicationTask = `DELETE FROM replication_tasks WHERE id = ?`
	qRetryReplicationTask  = `UPDATE replication_tasks
		SET attempts = ?, next_attempt = ?, last_error = ?, lease_owner = '', lease_expires = 0
		WHERE id = ?`
	qCountReplicationTasks       = `SELECT COUNT(*) FROM replication_tasks`
	qCountBucketReplicationTasks = `SELECT COUNT(*) FROM replication_tasks WHERE bucket = ?`
)

func (t *tx) EnqueueReplication(tasks ...*meta.ReplicationTask) error {
	for _, rt := range tasks {
		err := t.queryRow(qEnqueueReplication, rt.Bucket, rt.Key, rt.VersionID, rt.TargetARN,
			boolInt(rt.DeleteMarker), rt.Attempts, toNanos(rt.NextAttempt), rt.LastError,
			rt.LeaseOwner, toNanos(rt.LeaseExpires), toNanos(rt.CreatedAt),
		).Scan(&rt.ID)
		if err != nil {
			return fmt.Errorf("enqueue replication of %s/%s %s to %s: %w",
				rt.Bucket, rt.Key, rt.VersionID, rt.TargetARN, classify(err))
		}
	}
	return nil
}

// ClaimReplicationTasks returns the leased tasks most overdue first (by
// NextAttempt, then ID): RETURNING gives rows in no promised order.
func (t *tx) ClaimReplicationTasks(owner string, now, until time.Time, limit int) ([]meta.ReplicationTask, error) {
	if owner == "" {
		// An empty owner would leave the tasks looking free.
		return nil, errors.New("claim replication tasks: a replicator needs a non-empty owner name")
	}
	rows, err := t.query(qClaimReplicationTasks, owner, toNanos(until), toNanos(now), toNanos(now), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("claim replication tasks for %s: %w", owner, err)
	}
	defer rows.Close()
	var out []meta.ReplicationTask
	for rows.Next() {
		rt, err := scanReplicationTask(rows)
		if err != nil {
			return nil, fmt.Errorf("claim replication tasks for %s: %w", owner, err)
		}
		out = append(out, *rt)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim replication tasks for %s: %w", owner, err)
	}
	slices.SortFunc(out, func(a, b meta.ReplicationTask) int {
		if c := a.NextAttempt.Compare(b.NextAttempt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (t *tx) DeleteReplicationTask(id int64) error {
	found, err := t.execOne(qDeleteReplicationTask, id)
	if err != nil {
		return fmt.Errorf("delete replication task %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("delete replication task %d: %w", id, meta.ErrNotFound)
	}
	return nil
}

// RetryReplicationTask returns ErrNotFound when the task is gone (its
// bucket was deleted meanwhile).
func (t *tx) RetryReplicationTask(id int64, attempts int, next time.Time, lastErr string) error {
	found, err := t.execOne(qRetryReplicationTask, attempts, toNanos(next), lastErr, id)
	if err != nil {
		return fmt.Errorf("retry replication task %d: %w", id, err)
	}
	if !found {
		return fmt.Errorf("retry replication task %d: %w", id, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) CountReplicationTasks(bucket string) (int64, error) {
	var n int64
	var err error
	if bucket == "" {
		err = t.queryRow(qCountReplicationTasks).Scan(&n)
	} else {
		err = t.queryRow(qCountBucketReplicationTasks, bucket).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count replication tasks of %q: %w", bucket, err)
	}
	return n, nil
}

func scanReplicationTask(s scanner) (*meta.ReplicationTask, error) {
	var (
		rt                          meta.ReplicationTask
		marker                      int
		next, leaseExpires, created int64
	)
	err := s.Scan(&rt.ID, &rt.Bucket, &rt.Key, &rt.VersionID, &rt.TargetARN, &marker, &rt.Attempts,
		&next, &rt.LastError, &rt.LeaseOwner, &leaseExpires, &created)
	if err != nil {
		return nil, err
	}
	rt.DeleteMarker = marker != 0
	rt.NextAttempt = fromNanos(next)
	rt.LeaseExpires = fromNanos(leaseExpires)
	rt.CreatedAt = fromNanos(created)
	return &rt, nil
}
