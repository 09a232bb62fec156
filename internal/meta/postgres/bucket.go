package postgres

import (
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/quarrylabs/quarry/internal/meta"
	"github.com/quarrylabs/quarry/internal/meta/metasql"
)

const (
	qCreateBucket = `INSERT INTO buckets (name, owner_id, created_at, versioning, tags, acl)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`

	bucketCols          = `name, id, owner_id, created_at, versioning, tags, replication, lifecycle, encryption, notification, acl, cors`
	qGetBucket          = `SELECT ` + bucketCols + ` FROM buckets WHERE name = $1`
	qListBuckets        = `SELECT ` + bucketCols + ` FROM buckets ORDER BY name`
	qListBucketsByOwner = `SELECT ` + bucketCols + ` FROM buckets WHERE owner_id = $1 ORDER BY name`

	// Bucket pages are a name range, as key listings are (meta.KeyRange);
	// an owner of 0 matches every bucket.
	bucketsWhere             = `FROM buckets WHERE ($1::BIGINT = 0 OR owner_id = $1) AND name `
	qListBucketsFrom         = `SELECT ` + bucketCols + ` ` + bucketsWhere + `>= $2 ORDER BY name LIMIT $3`
	qListBucketsFromBounded  = `SELECT ` + bucketCols + ` ` + bucketsWhere + `>= $2 AND name < $3 ORDER BY name LIMIT $4`
	qListBucketsAfter        = `SELECT ` + bucketCols + ` ` + bucketsWhere + `> $2 ORDER BY name LIMIT $3`
	qListBucketsAfterBounded = `SELECT ` + bucketCols + ` ` + bucketsWhere + `> $2 AND name < $3 ORDER BY name LIMIT $4`

	qDeleteBucket  = `DELETE FROM buckets WHERE name = $1`
	qSetVersioning = `UPDATE buckets SET versioning = $1 WHERE name = $2`
	qSetBucketTags = `UPDATE buckets SET tags = $1 WHERE name = $2`
	qSetLifecycle  = `UPDATE buckets SET lifecycle = $1 WHERE name = $2`
	qSetEncryption = `UPDATE buckets SET encryption = $1 WHERE name = $2`
	qSetBucketACL  = `UPDATE buckets SET acl = $1 WHERE name = $2`
	qSetBucketCORS = `UPDATE buckets SET cors = $1 WHERE name = $2`
)

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

func (t *tx) GetBucket(name string) (*meta.Bucket, error) {
	if err := noText("get bucket", name); err != nil {
		return nil, err
	}
	b, err := scanBucket(t.queryRow(qGetBucket, name))
	if err != nil {
		return nil, fmt.Errorf("get bucket %q: %w", name, classify(err))
	}
	return b, nil
}

func (t *tx) ListBuckets(ownerID int64) ([]meta.Bucket, error) {
	var rows pgx.Rows
	var err error
	if ownerID == 0 {
		rows, err = t.query(qListBuckets)
	} else {
		rows, err = t.query(qListBucketsByOwner, ownerID)
	}
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return scanBuckets(rows)
}

func (t *tx) ListBucketsAfter(ownerID int64, prefix, after string, limit int) ([]meta.Bucket, error) {
	r := meta.RangeFor(prefix, after).Text()
	if r.Empty {
		return nil, nil
	}
	q, rangeArgs := r.Pick(qListBucketsFrom, qListBucketsFromBounded, qListBucketsAfter, qListBucketsAfterBounded)
	args := append([]any{ownerID}, rangeArgs...)
	args = append(args, sqlLimit(limit))
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list buckets of %d prefix %q after %q: %w", ownerID, prefix, after, err)
	}
	return scanBuckets(rows)
}

// DeleteBucket removes the bucket row; its usage shards go by cascade, and
// what the other tables keep about the bucket (replication and
// notification targets, version states, outbox entries) by their own
// cascades and triggers (0002). A version or upload left in the bucket
// fails the foreign key.
func (t *tx) DeleteBucket(name string) error {
	tag, err := t.exec(qDeleteBucket, name)
	if isForeignKey(err) {
		return fmt.Errorf("delete bucket %q: it still holds versions or uploads: %w", name, err)
	}
	if err != nil {
		return fmt.Errorf("delete bucket %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete bucket %q: %w", name, meta.ErrNotFound)
	}
	return nil
}

// setBucket runs an UPDATE of one bucket's column, ErrNotFound when the
// bucket does not exist.
func (t *tx) setBucket(what, query, name string, value any) error {
	found, err := t.execOne(query, value, name)
	if err != nil {
		return fmt.Errorf("set bucket %q %s: %w", name, what, err)
	}
	if !found {
		return fmt.Errorf("set bucket %q %s: %w", name, what, meta.ErrNotFound)
	}
	return nil
}

func (t *tx) SetBucketVersioning(name string, v meta.Versioning) error {
	return t.setBucket("versioning", qSetVersioning, name, string(v))
}

func (t *tx) SetBucketTags(name string, tags map[string]string) error {
	enc, err := metasql.EncodeMap(tags)
	if err != nil {
		return fmt.Errorf("set bucket %q tags: encode: %w", name, err)
	}
	return t.setBucket("tags", qSetBucketTags, name, enc)
}

// SetBucketLifecycle stores NULL for an empty configuration, so that "none"
// has one spelling in the table; so do the other configuration setters.
func (t *tx) SetBucketLifecycle(name string, config []byte) error {
	return t.setBucket("lifecycle", qSetLifecycle, name, metasql.NullBytes(config))
}

func (t *tx) SetBucketEncryption(name string, config []byte) error {
	return t.setBucket("encryption", qSetEncryption, name, metasql.NullBytes(config))
}

func (t *tx) SetBucketACL(bucket, acl string) error {
	return t.setBucket("acl", qSetBucketACL, bucket, acl)
}

func (t *tx) SetBucketCORS(bucket string, config []byte) error {
	return t.setBucket("cors", qSetBucketCORS, bucket, metasql.NullBytes(config))
}

// scanner is what pgx.Row and pgx.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

func scanBucket(s scanner) (*meta.Bucket, error) {
	var (
		b          meta.Bucket
		created    int64
		versioning string
		tags       sql.NullString
	)
	if err := s.Scan(&b.Name, &b.ID, &b.OwnerID, &created, &versioning, &tags, &b.Replication, &b.Lifecycle,
		&b.Encryption, &b.Notification, &b.ACL, &b.CORS); err != nil {
		return nil, err
	}
	b.CreatedAt = metasql.Time(created)
	b.Versioning = meta.Versioning(versioning)
	var err error
	if b.Tags, err = metasql.DecodeMap(tags); err != nil {
		return nil, fmt.Errorf("bucket %q tags: %w", b.Name, err)
	}
	return &b, nil
}

func scanBuckets(rows pgx.Rows) ([]meta.Bucket, error) {
	defer rows.Close()
	var out []meta.Bucket
	for rows.Next() {
		b, err := scanBucket(rows)
		if err != nil {
			return nil, fmt.Errorf("list buckets: %w", err)
		}
		out = append(out, *b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	return out, nil
}
