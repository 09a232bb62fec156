package postgres

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

const (
	qCreateBucket = `INSERT INTO buckets (name, owner_id, created_at, versioning, tags, acl)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`

	// Bucket pages are a name range, as key listings are (meta.KeyRange);
	// an owner of 0 matches every bucket.
	bucketsWhere = `FROM buckets WHERE ($1::BIGINT = 0 OR owner_id = $1) AND name `
	bucketsOrder = ` ORDER BY name LIMIT `
)

var bucketQueries = sqltx.BucketQueries{
	Get:         `SELECT ` + sqltx.BucketColumns + ` FROM buckets WHERE name = $1`,
	List:        `SELECT ` + sqltx.BucketColumns + ` FROM buckets ORDER BY name`,
	ListByOwner: `SELECT ` + sqltx.BucketColumns + ` FROM buckets WHERE owner_id = $1 ORDER BY name`,

	ListFrom:         `SELECT ` + sqltx.BucketColumns + ` ` + bucketsWhere + `>= $2` + bucketsOrder + `$3`,
	ListFromBounded:  `SELECT ` + sqltx.BucketColumns + ` ` + bucketsWhere + `>= $2 AND name < $3` + bucketsOrder + `$4`,
	ListAfter:        `SELECT ` + sqltx.BucketColumns + ` ` + bucketsWhere + `> $2` + bucketsOrder + `$3`,
	ListAfterBounded: `SELECT ` + sqltx.BucketColumns + ` ` + bucketsWhere + `> $2 AND name < $3` + bucketsOrder + `$4`,

	// The bucket's usage shards go by cascade, and what the other tables
	// keep about the bucket (replication and notification targets, version
	// states, outbox entries) by their own cascades and triggers (0002).
	Delete: `DELETE FROM buckets WHERE name = $1`,

	SetVersioning: `UPDATE buckets SET versioning = $1 WHERE name = $2`,
	SetTags:       `UPDATE buckets SET tags = $1 WHERE name = $2`,
	SetLifecycle:  `UPDATE buckets SET lifecycle = $1 WHERE name = $2`,
	SetEncryption: `UPDATE buckets SET encryption = $1 WHERE name = $2`,
	SetACL:        `UPDATE buckets SET acl = $1 WHERE name = $2`,
	SetCORS:       `UPDATE buckets SET cors = $1 WHERE name = $2`,
}

// CreateBucket numbers the bucket from the identity column's sequence and
// makes its usage shards.
func (t *tx) CreateBucket(b *meta.Bucket) error {
	tags, err := metasql.EncodeMap(b.Tags)
	if err != nil {
		return fmt.Errorf("create bucket %q: encode tags: %w", b.Name, err)
	}
	var id int64
	err = t.queryRow(qCreateBucket, b.Name, b.OwnerID, metasql.Nanos(b.CreatedAt), string(b.Versioning), tags, b.ACL).Scan(&id)
	if err != nil {
		return fmt.Errorf("create bucket %q: %w", b.Name, classify(err))
	}
	if _, err := t.exec(qCreateUsage, b.Name, usageShards); err != nil {
		return fmt.Errorf("create bucket %q usage: %w", b.Name, classify(err))
	}
	b.ID = id
	return nil
}
