package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/internal/meta"
)

var _ meta.NotificationTx = (*tx)(nil)

const (
	notificationTargetCols = `arn, name, type, endpoint, secret_enc, insecure_skip_verify, owner_id, all_users, created_at`

	qCreateNotificationTarget = `INSERT INTO notification_targets (` + notificationTargetCols + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	qGetNotificationTarget    = `SELECT ` + notificationTargetCols + ` FROM notification_targets WHERE arn = $1`
	qListNotificationTargets  = `SELECT ` + notificationTargetCols + ` FROM notification_targets ORDER BY name`
	qDeleteNotificationTarget = `DELETE FROM notification_targets WHERE arn = $1`
	qSetNotificationAllUsers  = `UPDATE notification_targets SET all_users = $1 WHERE arn = $2`

	qAddNotificationGrant      = `INSERT INTO notification_target_grants (arn, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	qDeleteNotificationGrants  = `DELETE FROM notification_target_grants WHERE arn = $1`
	qListNotificationGrants    = `SELECT user_id FROM notification_target_grants WHERE arn = $1 ORDER BY user_id`
	qListAllNotificationGrants = `SELECT arn, user_id FROM notification_target_grants ORDER BY arn, user_id`

	qSetBucketNotification     = `UPDATE buckets SET notification = $1 WHERE name = $2`
	qDeleteBucketNotifyTargets = `DELETE FROM bucket_notification_targets WHERE bucket = $1`
	qAddBucketNotifyTarget     = `INSERT INTO bucket_notification_targets (bucket, arn) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	qBucketsNotifyingTarget    = `SELECT bucket FROM bucket_notification_targets WHERE arn = $1 ORDER BY bucket`
)

func (t *tx) CreateNotificationTarget(nt *meta.NotificationTarget) error {
	if nt.ARN == "" || nt.Name == "" || nt.Type == "" {
		return errors.New("create notification target: ARN, name and type are required")
	}
	_, err := t.exec(qCreateNotificationTarget, nt.ARN, nt.Name, nt.Type, nt.Endpoint, nt.SecretEnc,
		nt.InsecureSkipVerify, nt.OwnerID, nt.AllUsers, nanosOf(nt.CreatedAt))
	if err != nil {
		return fmt.Errorf("create notification target %s (%q): %w", nt.ARN, nt.Name, classify(err))
	}
	if err := t.addGrants(qAddNotificationGrant, nt.ARN, nt.Users); err != nil {
		return fmt.Errorf("create notification target %s (%q): %w", nt.ARN, nt.Name, err)
	}
	return nil
}

func (t *tx) GetNotificationTarget(arn string) (*meta.NotificationTarget, error) {
	if !storable(arn) {
		return nil, fmt.Errorf("get notification target %q: %w", arn, meta.ErrNotFound)
	}
	nt, err := scanNotificationTarget(t.queryRow(qGetNotificationTarget, arn))
	if err != nil {
		return nil, fmt.Errorf("get notification target %s: %w", arn, classify(err))
	}
	if nt.Users, err = t.grantsOf(qListNotificationGrants, arn); err != nil {
		return nil, fmt.Errorf("get notification target %s: %w", arn, err)
	}
	return nt, nil
}

func (t *tx) ListNotificationTargets() ([]meta.NotificationTarget, error) {
	rows, err := t.query(qListNotificationTargets)
	if err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	defer rows.Close()
	var out []meta.NotificationTarget
	for rows.Next() {
		nt, err := scanNotificationTarget(rows)
		if err != nil {
			return nil, fmt.Errorf("list notification targets: %w", err)
		}
		out = append(out, *nt)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	grants, err := t.allGrants(qListAllNotificationGrants)
	if err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	for i := range out {
		out[i].Users = grants[out[i].ARN]
	}
	return out, nil
}

func (t *tx) SetNotificationTargetAccess(arn string, allUsers bool, users []int64) error {
	if !storable(arn) {
		return fmt.Errorf("set access of notification target %q: %w", arn, meta.ErrNotFound)
	}
	found, err := t.execOne(qSetNotificationAllUsers, allUsers, arn)
	if err != nil {
		return fmt.Errorf("set access of notification target %s: %w", arn, err)
	}
	if !found {
		return fmt.Errorf("set access of notification target %s: %w", arn, meta.ErrNotFound)
	}
	if _, err := t.exec(qDeleteNotificationGrants, arn); err != nil {
		return fmt.Errorf("set access of notification target %s: clear grants: %w", arn, err)
	}
	if err := t.addGrants(qAddNotificationGrant, arn, users); err != nil {
		return fmt.Errorf("set access of notification target %s: %w", arn, err)
	}
	return nil
}

// DeleteNotificationTarget deletes the target whether or not buckets name
// it: refusing a target in use is the caller's rule (BucketsNotifyingTarget).
func (t *tx) DeleteNotificationTarget(arn string) error {
	if !storable(arn) {
		return fmt.Errorf("delete notification target %q: %w", arn, meta.ErrNotFound)
	}
	found, err := t.execOne(qDeleteNotificationTarget, arn)
	if err != nil {
		return fmt.Errorf("delete notification target %s: %w", arn, err)
	}
	if !found {
		return fmt.Errorf("delete notification target %s: %w", arn, meta.ErrNotFound)
	}
	if _, err := t.exec(qDeleteNotificationGrants, arn); err != nil {
		return fmt.Errorf("delete notification target %s: grants: %w", arn, err)
	}
	return nil
}

// SetBucketNotification replaces the configuration and its target ARNs
// together, so the two never disagree.
func (t *tx) SetBucketNotification(bucket string, config []byte, targetARNs []string) error {
	if !storable(bucket) {
		return fmt.Errorf("set bucket %q notification: %w", bucket, meta.ErrNotFound)
	}
	var stored []byte // NULL unless there is a configuration
	if len(config) > 0 {
		stored = config
	}
	found, err := t.execOne(qSetBucketNotification, stored, bucket)
	if err != nil {
		return fmt.Errorf("set bucket %q notification: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q notification: %w", bucket, meta.ErrNotFound)
	}
	if _, err := t.exec(qDeleteBucketNotifyTargets, bucket); err != nil {
		return fmt.Errorf("set bucket %q notification: clear targets: %w", bucket, err)
	}
	if stored == nil {
		return nil
	}
	for _, arn := range targetARNs {
		if _, err := t.exec(qAddBucketNotifyTarget, bucket, arn); err != nil {
			return fmt.Errorf("set bucket %q notification: target %s: %w", bucket, arn, classify(err))
		}
	}
	return nil
}

func (t *tx) BucketsNotifyingTarget(arn string) ([]string, error) {
	if !storable(arn) {
		return nil, nil
	}
	names, err := t.queryStrings(qBucketsNotifyingTarget, arn)
	if err != nil {
		return nil, fmt.Errorf("buckets notifying target %s: %w", arn, err)
	}
	return names, nil
}

func scanNotificationTarget(s pgx.Row) (*meta.NotificationTarget, error) {
	var (
		nt      meta.NotificationTarget
		created int64
	)
	err := s.Scan(&nt.ARN, &nt.Name, &nt.Type, &nt.Endpoint, &nt.SecretEnc, &nt.InsecureSkipVerify,
		&nt.OwnerID, &nt.AllUsers, &created)
	if err != nil {
		return nil, err
	}
	nt.CreatedAt = timeOf(created)
	return &nt, nil
}
