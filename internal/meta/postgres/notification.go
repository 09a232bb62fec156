package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

var notificationQueries = sqltx.NotificationQueries{
	Create: `INSERT INTO notification_targets (` + sqltx.NotificationTargetColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
	Get:         `SELECT ` + sqltx.NotificationTargetColumns + ` FROM notification_targets WHERE arn = $1`,
	List:        `SELECT ` + sqltx.NotificationTargetColumns + ` FROM notification_targets ORDER BY name`,
	Delete:      `DELETE FROM notification_targets WHERE arn = $1`,
	SetAllUsers: `UPDATE notification_targets SET all_users = $1 WHERE arn = $2`,
	Grants: sqltx.GrantQueries{
		Add:     `INSERT INTO notification_target_grants (arn, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		Delete:  `DELETE FROM notification_target_grants WHERE arn = $1`,
		List:    `SELECT user_id FROM notification_target_grants WHERE arn = $1 ORDER BY user_id`,
		ListAll: `SELECT arn, user_id FROM notification_target_grants ORDER BY arn, user_id`,
	},

	SetBucketNotification:  `UPDATE buckets SET notification = $1 WHERE name = $2`,
	DeleteBucketTargets:    `DELETE FROM bucket_notification_targets WHERE bucket = $1`,
	AddBucketTarget:        `INSERT INTO bucket_notification_targets (bucket, arn) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
	BucketsNotifyingTarget: `SELECT bucket FROM bucket_notification_targets WHERE arn = $1 ORDER BY bucket`,
}
