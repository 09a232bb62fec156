package sqltx

import (
	"errors"
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

var _ meta.NotificationTx = (*Tx)(nil)

// NotificationTargetColumns are the columns of notification targets in the
// order scanNotificationTarget reads them and Create writes them.
const NotificationTargetColumns = `arn, name, type, endpoint, secret_enc, insecure_skip_verify, owner_id, all_users, created_at`

// NotificationQueries are the statements of notification targets, their
// grants and the buckets notifying them.
type NotificationQueries struct {
	// Create inserts NotificationTargetColumns.
	Create string
	// Get (arn) and List () select NotificationTargetColumns, the list by
	// name.
	Get, List string
	// Delete (arn) and SetAllUsers (allUsers, arn).
	Delete, SetAllUsers string
	Grants              GrantQueries

	// SetBucketNotification (config, bucket).
	SetBucketNotification string
	// DeleteBucketTargets (bucket) and AddBucketTarget (bucket, arn), which
	// keeps an existing row, replace a bucket's target list.
	DeleteBucketTargets, AddBucketTarget string
	// BucketsNotifyingTarget (arn) selects bucket by name.
	BucketsNotifyingTarget string
}

func (t *Tx) CreateNotificationTarget(nt *meta.NotificationTarget) error {
	if nt.ARN == "" || nt.Name == "" || nt.Type == "" {
		return errors.New("create notification target: ARN, name and type are required")
	}
	_, err := t.c.Exec(t.d.Notification.Create, nt.ARN, nt.Name, nt.Type, nt.Endpoint, nt.SecretEnc,
		nt.InsecureSkipVerify, nt.OwnerID, nt.AllUsers, metasql.Nanos(nt.CreatedAt))
	if err != nil {
		return fmt.Errorf("create notification target %s (%q): %w", nt.ARN, nt.Name, t.c.Classify(err))
	}
	if err := t.addGrants(&t.d.Notification.Grants, nt.ARN, nt.Users); err != nil {
		return fmt.Errorf("create notification target %s (%q): %w", nt.ARN, nt.Name, err)
	}
	return nil
}

func (t *Tx) GetNotificationTarget(arn string) (*meta.NotificationTarget, error) {
	if !t.storable(arn) {
		return nil, fmt.Errorf("get notification target %q: %w", arn, meta.ErrNotFound)
	}
	nt, err := scanNotificationTarget(t.c.QueryRow(t.d.Notification.Get, arn))
	if err != nil {
		return nil, fmt.Errorf("get notification target %s: %w", arn, t.c.Classify(err))
	}
	if nt.Users, err = t.grantsOf(&t.d.Notification.Grants, arn); err != nil {
		return nil, fmt.Errorf("get notification target %s: %w", arn, err)
	}
	return nt, nil
}

func (t *Tx) ListNotificationTargets() ([]meta.NotificationTarget, error) {
	rows, err := t.c.Query(t.d.Notification.List)
	if err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	out, err := collect(nil, rows, scanNotificationTarget)
	if err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	grants, err := t.allGrants(&t.d.Notification.Grants)
	if err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	for i := range out {
		out[i].Users = grants[out[i].ARN]
	}
	return out, nil
}

func (t *Tx) SetNotificationTargetAccess(arn string, allUsers bool, users []int64) error {
	return t.setAccess("notification target", t.d.Notification.SetAllUsers, &t.d.Notification.Grants, arn, allUsers, users)
}

// DeleteNotificationTarget deletes the target whether or not buckets name
// it: refusing a target in use is the caller's rule (BucketsNotifyingTarget).
func (t *Tx) DeleteNotificationTarget(arn string) error {
	return t.deleteGranted("notification target", t.d.Notification.Delete, &t.d.Notification.Grants, arn)
}

// SetBucketNotification replaces the configuration and its target ARNs
// together, so the two never disagree.
func (t *Tx) SetBucketNotification(bucket string, config []byte, targetARNs []string) error {
	q := &t.d.Notification
	return t.setBucketTargets("notification", bucket, config, targetARNs,
		q.SetBucketNotification, q.DeleteBucketTargets, q.AddBucketTarget)
}

func (t *Tx) BucketsNotifyingTarget(arn string) ([]string, error) {
	if !t.storable(arn) {
		return nil, nil
	}
	names, err := t.queryStrings(t.d.Notification.BucketsNotifyingTarget, arn)
	if err != nil {
		return nil, fmt.Errorf("buckets notifying target %s: %w", arn, err)
	}
	return names, nil
}

func scanNotificationTarget(r Row) (*meta.NotificationTarget, error) {
	var (
		nt      meta.NotificationTarget
		created int64
	)
	err := r.Scan(&nt.ARN, &nt.Name, &nt.Type, &nt.Endpoint, &nt.SecretEnc, &nt.InsecureSkipVerify,
		&nt.OwnerID, &nt.AllUsers, &created)
	if err != nil {
		return nil, err
	}
	nt.CreatedAt = metasql.Time(created)
	return &nt, nil
}
