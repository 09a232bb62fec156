package sqltx

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

// TargetColumns are the columns of replication targets in the order
// scanReplicationTarget reads them and Create writes them.
const TargetColumns = `arn, name, endpoint, region, bucket, access_key, secret_enc,
		insecure_skip_verify, owner_id, all_users, created_at`

// TargetQueries are the statements of replication targets, their grants
// and the buckets replicating to them.
type TargetQueries struct {
	// Create inserts TargetColumns.
	Create string
	// Get (arn) and List () select TargetColumns, the list by name.
	Get, List string
	// Delete (arn) and SetAllUsers (allUsers, arn).
	Delete, SetAllUsers string
	Grants              GrantQueries

	// SetBucketReplication (config, bucket).
	SetBucketReplication string
	// DeleteBucketTargets (bucket) and AddBucketTarget (bucket, arn), which
	// keeps an existing row, replace a bucket's target list.
	DeleteBucketTargets, AddBucketTarget string
	// BucketsUsingTarget (arn) selects bucket by name.
	BucketsUsingTarget string
}

func (t *Tx) CreateReplicationTarget(rt *meta.ReplicationTarget) error {
	if rt.ARN == "" || rt.Name == "" {
		return errors.New("create replication target: ARN and name are required")
	}
	_, err := t.c.Exec(t.d.Target.Create, rt.ARN, rt.Name, rt.Endpoint, rt.Region, rt.Bucket,
		rt.AccessKey, rt.SecretEnc, rt.InsecureSkipVerify, rt.OwnerID, rt.AllUsers, metasql.Nanos(rt.CreatedAt))
	if err != nil {
		return fmt.Errorf("create replication target %s (%q): %w", rt.ARN, rt.Name, t.c.Classify(err))
	}
	if err := t.addGrants(&t.d.Target.Grants, rt.ARN, rt.Users); err != nil {
		return fmt.Errorf("create replication target %s (%q): %w", rt.ARN, rt.Name, err)
	}
	return nil
}

func (t *Tx) GetReplicationTarget(arn string) (*meta.ReplicationTarget, error) {
	if !t.storable(arn) {
		return nil, fmt.Errorf("get replication target %q: %w", arn, meta.ErrNotFound)
	}
	rt, err := scanReplicationTarget(t.c.QueryRow(t.d.Target.Get, arn))
	if err != nil {
		return nil, fmt.Errorf("get replication target %s: %w", arn, t.c.Classify(err))
	}
	if rt.Users, err = t.grantsOf(&t.d.Target.Grants, arn); err != nil {
		return nil, fmt.Errorf("get replication target %s: %w", arn, err)
	}
	return rt, nil
}

// ListReplicationTargets lists every target by name, with the grants of
// all read in one more query.
func (t *Tx) ListReplicationTargets() ([]meta.ReplicationTarget, error) {
	rows, err := t.c.Query(t.d.Target.List)
	if err != nil {
		return nil, fmt.Errorf("list replication targets: %w", err)
	}
	out, err := collect(nil, rows, scanReplicationTarget)
	if err != nil {
		return nil, fmt.Errorf("list replication targets: %w", err)
	}
	grants, err := t.allGrants(&t.d.Target.Grants)
	if err != nil {
		return nil, fmt.Errorf("list replication targets: %w", err)
	}
	for i := range out {
		out[i].Users = grants[out[i].ARN]
	}
	return out, nil
}

// SetReplicationTargetAccess replaces the flag and the grant rows together.
func (t *Tx) SetReplicationTargetAccess(arn string, allUsers bool, users []int64) error {
	return t.setAccess("replication target", t.d.Target.SetAllUsers, &t.d.Target.Grants, arn, allUsers, users)
}

// DeleteReplicationTarget deletes the target and its grants whether or not
// buckets still name it: refusing a target in use is the caller's rule,
// checked with BucketsUsingTarget in the same transaction.
func (t *Tx) DeleteReplicationTarget(arn string) error {
	return t.deleteGranted("replication target", t.d.Target.Delete, &t.d.Target.Grants, arn)
}

func scanReplicationTarget(r Row) (*meta.ReplicationTarget, error) {
	var (
		rt      meta.ReplicationTarget
		created int64
	)
	err := r.Scan(&rt.ARN, &rt.Name, &rt.Endpoint, &rt.Region, &rt.Bucket, &rt.AccessKey, &rt.SecretEnc,
		&rt.InsecureSkipVerify, &rt.OwnerID, &rt.AllUsers, &created)
	if err != nil {
		return nil, err
	}
	rt.CreatedAt = metasql.Time(created)
	return &rt, nil
}

// SetBucketReplication replaces the configuration and the set of target
// ARNs together, so the two never disagree. An empty config is no
// configuration, like nil: the ARNs are ignored and the bucket left with
// none.
func (t *Tx) SetBucketReplication(bucket string, config []byte, targetARNs []string) error {
	q := &t.d.Target
	return t.setBucketTargets("replication", bucket, config, targetARNs,
		q.SetBucketReplication, q.DeleteBucketTargets, q.AddBucketTarget)
}

func (t *Tx) BucketsUsingTarget(arn string) ([]string, error) {
	if !t.storable(arn) {
		return nil, nil
	}
	names, err := t.queryStrings(t.d.Target.BucketsUsingTarget, arn)
	if err != nil {
		return nil, fmt.Errorf("buckets using target %s: %w", arn, err)
	}
	return names, nil
}

// setBucketTargets sets a bucket's configuration of what (replication or
// notification) with set, and replaces its target list with clear and
// add.
func (t *Tx) setBucketTargets(what, bucket string, config []byte, targetARNs []string, set, clear, add string) error {
	if !t.storable(bucket) {
		return fmt.Errorf("set bucket %q %s: %w", bucket, what, meta.ErrNotFound)
	}
	var stored []byte // NULL unless there is a configuration
	if len(config) > 0 {
		stored = config
	}
	found, err := t.execOne(set, stored, bucket)
	if err != nil {
		return fmt.Errorf("set bucket %q %s: %w", bucket, what, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q %s: %w", bucket, what, meta.ErrNotFound)
	}
	if _, err := t.c.Exec(clear, bucket); err != nil {
		return fmt.Errorf("set bucket %q %s: clear targets: %w", bucket, what, err)
	}
	if stored == nil {
		return nil
	}
	for _, arn := range targetARNs {
		if _, err := t.c.Exec(add, bucket, arn); err != nil {
			return fmt.Errorf("set bucket %q %s: target %s: %w", bucket, what, arn, t.c.Classify(err))
		}
	}
	return nil
}
