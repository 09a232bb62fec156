package sqlite

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.ReplicationTx = (*tx)(nil)

const (
	replicationTargetCols = `arn, name, endpoint, region, bucket, access_key, secret_enc,
		insecure_skip_verify, owner_id, all_users, created_at`

	qCreateReplicationTarget = `INSERT INTO replication_targets (` + replicationTargetCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qGetReplicationTarget    = `SELECT ` + replicationTargetCols + ` FROM replication_targets WHERE arn = ?`
	qListReplicationTargets  = `SELECT ` + replicationTargetCols + ` FROM replication_targets ORDER BY name`
	qDeleteReplicationTarget = `DELETE FROM replication_targets WHERE arn = ?`
	qSetTargetAllUsers       = `UPDATE replication_targets SET all_users = ? WHERE arn = ?`

	qAddTargetGrant         = `INSERT INTO replication_target_grants (arn, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
	qDeleteTargetGrants     = `DELETE FROM replication_target_grants WHERE arn = ?`
	qListTargetGrants       = `SELECT user_id FROM replication_target_grants WHERE arn = ? ORDER BY user_id`
	qListAllTargetGrants    = `SELECT arn, user_id FROM replication_target_grants ORDER BY arn, user_id`
	qDeleteUserTargetGrants = `DELETE FROM replication_target_grants WHERE user_id = ?`
)

func (t *tx) CreateReplicationTarget(rt *meta.ReplicationTarget) error {
	if rt.ARN == "" || rt.Name == "" {
		return errors.New("create replication target: ARN and name are required")
	}
	_, err := t.exec(qCreateReplicationTarget, rt.ARN, rt.Name, rt.Endpoint, rt.Region, rt.Bucket,
		rt.AccessKey, rt.SecretEnc, boolInt(rt.InsecureSkipVerify), rt.OwnerID, boolInt(rt.AllUsers), metasql.Nanos(rt.CreatedAt))
	if err != nil {
		return fmt.Errorf("create replication target %s (%q): %w", rt.ARN, rt.Name, classify(err))
	}
	if err := t.addGrants(qAddTargetGrant, rt.ARN, rt.Users); err != nil {
		return fmt.Errorf("create replication target %s (%q): %w", rt.ARN, rt.Name, err)
	}
	return nil
}

func (t *tx) GetReplicationTarget(arn string) (*meta.ReplicationTarget, error) {
	rt, err := scanReplicationTarget(t.queryRow(qGetReplicationTarget, arn))
	if err != nil {
		return nil, fmt.Errorf("get replication target %s: %w", arn, classify(err))
	}
	if rt.Users, err = t.grantsOf(qListTargetGrants, arn); err != nil {
		return nil, fmt.Errorf("get replication target %s: %w", arn, err)
	}
	return rt, nil
}

// ListReplicationTargets lists every target by name, with the grants of
// all read in one more query.
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
	rows.Close()
	grants, err := t.allGrants(qListAllTargetGrants)
	if err != nil {
		return nil, fmt.Errorf("list replication targets: %w", err)
	}
	for i := range out {
		out[i].Users = grants[out[i].ARN]
	}
	return out, nil
}

// SetReplicationTargetAccess replaces the flag and the grant rows together.
func (t *tx) SetReplicationTargetAccess(arn string, allUsers bool, users []int64) error {
	found, err := t.execOne(qSetTargetAllUsers, boolInt(allUsers), arn)
	if err != nil {
		return fmt.Errorf("set access of replication target %s: %w", arn, err)
	}
	if !found {
		return fmt.Errorf("set access of replication target %s: %w", arn, meta.ErrNotFound)
	}
	if _, err := t.exec(qDeleteTargetGrants, arn); err != nil {
		return fmt.Errorf("set access of replication target %s: clear grants: %w", arn, err)
	}
	if err := t.addGrants(qAddTargetGrant, arn, users); err != nil {
		return fmt.Errorf("set access of replication target %s: %w", arn, err)
	}
	return nil
}

// DeleteReplicationTarget deletes the target and its grants whether or not
// buckets still name it: refusing a target in use is the caller's rule,
// checked with BucketsUsingTarget in the same transaction.
func (t *tx) DeleteReplicationTarget(arn string) error {
	found, err := t.execOne(qDeleteReplicationTarget, arn)
	if err != nil {
		return fmt.Errorf("delete replication target %s: %w", arn, err)
	}
	if !found {
		return fmt.Errorf("delete replication target %s: %w", arn, meta.ErrNotFound)
	}
	if _, err := t.exec(qDeleteTargetGrants, arn); err != nil {
		return fmt.Errorf("delete replication target %s: grants: %w", arn, err)
	}
	return nil
}

// addGrants grants the target arn to users with insert, a grant table's
// INSERT of (arn, user_id). Replication and notification targets keep
// their grants in tables of the same shape.
func (t *tx) addGrants(insert, arn string, users []int64) error {
	for _, id := range users {
		if _, err := t.exec(insert, arn, id); err != nil {
			return fmt.Errorf("grant to user %d: %w", id, classify(err))
		}
	}
	return nil
}

// grantsOf are the user ids granted arn by list, ascending; nil when none.
func (t *tx) grantsOf(list, arn string) ([]int64, error) {
	rows, err := t.query(list, arn)
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("grants: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	return ids, nil
}

// allGrants are the granted user ids of every target of a grant table
// (listed by listAll), by ARN.
func (t *tx) allGrants(listAll string) (map[string][]int64, error) {
	rows, err := t.query(listAll)
	if err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	defer rows.Close()
	out := map[string][]int64{}
	for rows.Next() {
		var (
			arn string
			id  int64
		)
		if err := rows.Scan(&arn, &id); err != nil {
			return nil, fmt.Errorf("grants: %w", err)
		}
		out[arn] = append(out[arn], id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("grants: %w", err)
	}
	return out, nil
}

func scanReplicationTarget(s scanner) (*meta.ReplicationTarget, error) {
	var (
		rt       meta.ReplicationTarget
		insecure int
		allUsers int
		created  int64
	)
	err := s.Scan(&rt.ARN, &rt.Name, &rt.Endpoint, &rt.Region, &rt.Bucket, &rt.AccessKey, &rt.SecretEnc,
		&insecure, &rt.OwnerID, &allUsers, &created)
	if err != nil {
		return nil, err
	}
	rt.InsecureSkipVerify = insecure != 0
	rt.AllUsers = allUsers != 0
	rt.CreatedAt = metasql.Time(created)
	return &rt, nil
}
