package postgres

import "github.com/quarrylabs/quarry/internal/meta/sqltx"

var targetQueries = sqltx.TargetQueries{
	Create: `INSERT INTO replication_targets (` + sqltx.TargetColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
	Get:         `SELECT ` + sqltx.TargetColumns + ` FROM replication_targets WHERE arn = $1`,
	List:        `SELECT ` + sqltx.TargetColumns + ` FROM replication_targets ORDER BY name`,
	Delete:      `DELETE FROM replication_targets WHERE arn = $1`,
	SetAllUsers: `UPDATE replication_targets SET all_users = $1 WHERE arn = $2`,
	Grants: sqltx.GrantQueries{
		Add:     `INSERT INTO replication_target_grants (arn, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		Delete:  `DELETE FROM replication_target_grants WHERE arn = $1`,
		List:    `SELECT user_id FROM replication_target_grants WHERE arn = $1 ORDER BY user_id`,
		ListAll: `SELECT arn, user_id FROM replication_target_grants ORDER BY arn, user_id`,
	},

	SetBucketReplication: `UPDATE buckets SET replication = $1 WHERE name = $2`,
	DeleteBucketTargets:  `DELETE FROM bucket_replication_targets WHERE bucket = $1`,
	AddBucketTarget:      `INSERT INTO bucket_replication_targets (bucket, arn) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
	BucketsUsingTarget:   `SELECT bucket FROM bucket_replication_targets WHERE arn = $1 ORDER BY bucket`,
}
