package sqlite

import (
	"fmt"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
	"github.com/quarrylabs/quarry/internal/meta/sqltx"
)

const (
	// qNextBucketID takes the next bucket number (see 0006_bucket_id.sql).
	qNextBucketID = `UPDATE bucket_id_seq SET last = last + 1 RETURNING last`
	qCreateBucket = `INSERT INTO buckets (name, id, owner_id, created_at, versioning, tags, acl)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`
	qCreateUsage = `INSERT INTO bucket_usage (bucket) VALUES (?1)`

	qGetUsage = `SELECT objects, bytes, versions, version_bytes FROM bucket_usage WHERE bucket = ?1`
	qAddUsage = `UPDATE bucket_usage SET objects = objects + ?1, bytes = bytes + ?2,
		versions = versions + ?3, version_bytes = version_bytes + ?4 WHERE bucket = ?5`
	qSetUsage = `UPDATE bucket_usage SET objects = ?1, bytes = ?2, versions = ?3, version_bytes = ?4 WHERE bucket = ?5`

	// Bucket pages are a name range, as key listings are (meta.KeyRange);
	// an owner of 0 matches every bucket.
	bucketsWhere = `FROM buckets WHERE (?1 = 0 OR owner_id = ?1) AND name `
	bucketsOrder = ` ORDER BY name LIMIT `
)

var bucketQueries = sqltx.BucketQueries{
	Get:         `SELECT ` + sqltx.BucketColumns + ` FROM buckets WHERE name = ?1`,
	List:        `SELECT ` + sqltx.BucketColumns + ` FROM buckets ORDER BY name`,
	ListByOwner: `SELECT ` + sqltx.BucketColumns + ` FROM buckets WHERE owner_id = ?1 ORDER BY name`,

	ListFrom:         `SELECT ` + sqltx.BucketColumns + ` ` + bucketsWhere + `>= ?2` + bucketsOrder + `?3`,
	ListFromBounded:  `SELECT ` + sqltx.BucketColumns + ` ` + bucketsWhere + `>= ?2 AND name < ?3` + bucketsOrder + `?4`,
	ListAfter:        `SELECT ` + sqltx.BucketColumns + ` ` + bucketsWhere + `> ?2` + bucketsOrder + `?3`,
	ListAfterBounded: `SELECT ` + sqltx.BucketColumns + ` ` + bucketsWhere + `> ?2 AND name < ?3` + bucketsOrder + `?4`,

	// Not trusting cascades, so the store behaves the same with foreign
	// keys off: the usage row, and what the bucket's replication and
	// notifications left behind (an outbox entry of a deleted bucket could
	// otherwise copy a later bucket of the same name to a target that
	// bucket never named).
	DeleteOwned: []string{
		`DELETE FROM bucket_usage WHERE bucket = ?1`,
		qDeleteBucketTargets,
		`DELETE FROM version_replication WHERE bucket = ?1`,
		qDeleteBucketOutbox,
		qDeleteBucketNotifyTargets,
	},
	Delete: `DELETE FROM buckets WHERE name = ?1`,

	SetVersioning: `UPDATE buckets SET versioning = ?1 WHERE name = ?2`,
	SetTags:       `UPDATE buckets SET tags = ?1 WHERE name = ?2`,
	SetLifecycle:  `UPDATE buckets SET lifecycle = ?1 WHERE name = ?2`,
	SetEncryption: `UPDATE buckets SET encryption = ?1 WHERE name = ?2`,
	SetACL:        `UPDATE buckets SET acl = ?1 WHERE name = ?2`,
	SetCORS:       `UPDATE buckets SET cors = ?1 WHERE name = ?2`,
}

func (t *tx) CreateBucket(b *meta.Bucket) error {
	tags, err := metasql.EncodeMap(b.Tags)
	if err != nil {
		return fmt.Errorf("create bucket %q: encode tags: %w", b.Name, err)
	}
	var id int64
	if err := t.queryRow(qNextBucketID).Scan(&id); err != nil {
		return fmt.Errorf("create bucket %q: number it: %w", b.Name, err)
	}
	if _, err := t.exec(qCreateBucket, b.Name, id, b.OwnerID, metasql.Nanos(b.CreatedAt), string(b.Versioning), tags, b.ACL); err != nil {
		return fmt.Errorf("create bucket %q: %w", b.Name, classify(err))
	}
	if _, err := t.exec(qCreateUsage, b.Name); err != nil {
		return fmt.Errorf("create bucket %q usage: %w", b.Name, classify(err))
	}
	b.ID = id
	return nil
}

func (t *tx) GetUsage(bucket string) (meta.Usage, error) {
	var u meta.Usage
	err := t.queryRow(qGetUsage, bucket).Scan(&u.Objects, &u.Bytes, &u.Versions, &u.VersionBytes)
	if err != nil {
		return meta.Usage{}, fmt.Errorf("get bucket %q usage: %w", bucket, classify(err))
	}
	return u, nil
}

func (t *tx) AddUsage(bucket string, d meta.Usage) error {
	found, err := t.execOne(qAddUsage, d.Objects, d.Bytes, d.Versions, d.VersionBytes, bucket)
	if err != nil {
		return fmt.Errorf("add bucket %q usage: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("add bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) SetUsage(bucket string, u meta.Usage) error {
	found, err := t.execOne(qSetUsage, u.Objects, u.Bytes, u.Versions, u.VersionBytes, bucket)
	if err != nil {
		return fmt.Errorf("set bucket %q usage: %w", bucket, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q usage: %w", bucket, meta.ErrNotFound)
	}
	return nil
}
